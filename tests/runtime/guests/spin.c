/* A test guest that never yields once it is ready. */
#include "wapp.h"

int main(void)
{
	volatile unsigned long n = 0;
	wapp_ready();
	for (;;) {
		n++;
	}
}
