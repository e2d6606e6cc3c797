/* fuzz-zweft's two halves (fuzz-zweft.c, fuzz-zweft-server.c). */
#ifndef WEFT_FUZZ_ZWEFT_H
#define WEFT_FUZZ_ZWEFT_H

#include <stdbool.h>

/* The app id of a tagged app client. */
#define FUZZ_APP_ID "org.weft.fuzz"

void fuzz_server_init(void);
/* A client on fd (taken): 0 ordinary, 1 the shell, 2 the app FUZZ_APP_ID. */
bool fuzz_server_client(int role, int fd);
/* Handles what is pending and flushes the replies. */
void fuzz_server_dispatch(void);
/* Aborts unless the compositor holds no window. */
void fuzz_server_check_clean(void);

#endif
