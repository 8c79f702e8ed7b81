// Go peer 3: facebookgo/grace (gracehttp). SIGUSR2: start a child with the listeners in
// LISTEN_FDS; the child, once serving, SIGTERMs the parent, which drains and exits.
// SIGINT/SIGTERM: drain and exit. gracehttp has no "ready" hook, so the child announces
// MAINPID just before it starts serving on the inherited (already listening) socket.
package main

import (
	"flag"
	"io"
	"log"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/facebookgo/grace/gracehttp"
)

func main() {
	addr := flag.String("addr", "", "listen address with a concrete port (children inherit it by address)")
	flag.Parse()
	go announceWhenConnectable(*addr)
	gracehttp.SetLogger(log.New(io.Discard, "", 0))
	err := gracehttp.ServeWithOptions([]*http.Server{{Addr: *addr, Handler: handler()}},
		gracehttp.PreStartProcess(func() error { nextGenerationEnv(); return nil }))
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// announceWhenConnectable prints the readiness line and MAINPID once the listener exists
// (gracehttp binds, or inherits, inside ServeWithOptions and starts serving right after).
func announceWhenConnectable(addr string) {
	for i := 0; i < 5000; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			fmt.Printf("listening on %s pid=%d generation=%d\n", addr, os.Getpid(), generation())
			notifyMainPID()
			return
		}
		time.Sleep(time.Millisecond)
	}
}
