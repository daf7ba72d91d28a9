/* Linux terminal and file ioctl numbers on x86-64
 * (include/uapi/asm-generic/ioctls.h). */
#ifndef HX_UAPI_IOCTLS_H
#define HX_UAPI_IOCTLS_H
#define TCGETS 0x5401
#define TIOCOUTQ 0x5411
#define TIOCGWINSZ 0x5413
#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define FIOASYNC 0x5452
#endif
