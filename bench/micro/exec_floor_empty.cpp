// The emptiest program: exits 0 at once. Linked statically (no ld.so, no shared library), it is
// the floor under any restart that execs a binary: BM_ExecFloor times vfork + exec + exit of it
// on this machine, to set against the reference server's SIGHUP -> READY=1.
int main() { return 0; }
