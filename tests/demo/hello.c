/* The demo: what a newcomer sees first. */
#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
    struct utsname u;
    uname(&u);
    printf("Hello from %s under hx: a %s %s program in its own KVM virtual machine.\n", argv[0],
           u.sysname, u.machine);
    return argc > 1;
}
