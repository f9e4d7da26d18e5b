/* Case 13: a workspace library loaded by the loader (libdep.so, found through RUNPATH
 * $ORIGIN/lib) and one loaded with dlopen("libplugin.so"), a bare name that only this
 * program's RUNPATH can find. Usage: dl_main */
#include <dlfcn.h>
#include <stdio.h>
#include "common.h"

int dep_value(void);

int main(void)
{
    void *h = dlopen("libplugin.so", RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    int (*plugin_value)(void) = (int (*)(void))dlsym(h, "plugin_value");
    CHECK(plugin_value != NULL);
    /* Already loaded: found by name whoever asks. */
    void *again = dlopen("libdep.so", RTLD_NOW | RTLD_NOLOAD);
    CHECK(again != NULL);
    printf("%d %d\n", dep_value(), plugin_value());
    return 0;
}
