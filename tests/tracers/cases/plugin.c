/* A workspace plugin dl_main loads with dlopen by bare name. */
int dep_value(void);
int plugin_value(void) { return dep_value() + 2; }
