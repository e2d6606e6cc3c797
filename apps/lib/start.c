/*
 * The guest's entry point. We link a "reactor" module (crt1-reactor.o:
 * constructors run once, from _initialize, at instantiation) and export
 * _start ourselves, which the WASI command adapter calls for wasi:cli/run.
 *
 * Linking a "command" instead (crt1-command.o) makes wasm-ld wrap every
 * export in a call to the constructors, cabi_realloc included; the host then
 * re-runs them on each string it returns, and with a preopen they call WASI
 * from inside cabi_realloc, which the component model forbids (the guest
 * traps with "cannot leave component instance").
 */
#include <stdlib.h>

/* wasi-libc: gets argv from WASI and calls main. */
extern int __main_void(void);

__attribute__((export_name("_start"))) void wapp_start(void);

void wapp_start(void)
{
	exit(__main_void());
}
