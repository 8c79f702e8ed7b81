// The emptiest program: exits 0 at once. Linked statically (no ld.so, no shared library), it is
// the floor under any restart that execs a binary: BM_ExecFloor times vfork + exec + exit of it
// on this machine, to set against the reference server's SIGHUP -> READY=1. If fd 3 is open it
// first writes its CLOCK_REALTIME at main() there (8 bytes, ns), so the benchmark can also time
// vfork + exec -> main() without the exit and the benchmark's own wake-up.
#include <time.h>
#include <unistd.h>

#include <cstdint>

int main() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  const std::int64_t ns = static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
  if (write(3, &ns, sizeof ns) < 0) return 0;  // no fd 3: nobody asked
  return 0;
}
