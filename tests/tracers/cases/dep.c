/* A workspace library the loader maps at start (linked by dl_main). */
int dep_value(void) { return 40; }
