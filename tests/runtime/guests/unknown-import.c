/* A test guest importing an interface the runtime does not provide. */
#include "wapp.h"

__attribute__((import_module("test:extra/bogus"), import_name("poke"))) extern void poke(void);

int main(void)
{
	wapp_ready();
	poke();
	return 0;
}
