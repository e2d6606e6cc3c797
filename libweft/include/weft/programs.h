#ifndef WEFT_PROGRAMS_H
#define WEFT_PROGRAMS_H

#include "weft/common.h"

/*
 * Where one WEFT program finds another, name ("weft-runtime"): beside the
 * caller's own executable (an installed or a DESTDIR-staged tree), else in
 * the build tree's folder build_dir next to the caller's ("runtime"), else
 * in the install prefix's bindir. A malloc'd absolute path the caller
 * frees (the last one need not exist), or NULL when out of memory.
 */
char *weft_find_program(const char *name, const char *build_dir);

/*
 * Where WEFT's data directory name ("shell/kit") is for the program exe
 * (NULL: the caller's own executable): the build tree's copy beside the
 * program's folder (build/shell/kit for build/app-shell/weft-app-shell)
 * when there is one, else the installed DATADIR/weft/name. A malloc'd
 * path the caller frees (canonical when it was found in the build tree;
 * the installed one need not exist), or NULL when out of memory.
 */
char *weft_find_data_dir(const char *exe, const char *name);

/* path quoted for /bin/sh -c: 'path', each ' as '\''. NULL when out of memory. */
char *weft_shell_quote(const char *path);

#endif
