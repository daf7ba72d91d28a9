/* Linux timerfd_settime flags (include/uapi/linux/timerfd.h). */
#ifndef HX_UAPI_TIMERFD_H
#define HX_UAPI_TIMERFD_H
#define TFD_TIMER_ABSTIME (1 << 0)
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#endif
