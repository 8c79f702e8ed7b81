// Shared by the three Go peers (built as `go build common.go <peer>.go`): the handler every
// peer serves, and the two channels the zerodrop harness follows generations by.
//
//	GET /            "hello gin!"
//	GET /slow?ms=N   "hello gin!" after N ms
//	GET /healthz     "ok"
//
// Every response carries X-Pid (the answering process) and X-Generation (PEER_GENERATION from
// the environment, 1 when unset; a restarting peer exports n+1 before starting its successor).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func generation() int {
	g, err := strconv.Atoi(os.Getenv("PEER_GENERATION"))
	if err != nil || g < 1 {
		return 1
	}
	return g
}

func handler() http.Handler {
	pid := strconv.Itoa(os.Getpid())
	gen := strconv.Itoa(generation())
	mux := http.NewServeMux()
	hello := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pid", pid)
		w.Header().Set("X-Generation", gen)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "hello gin!")
	}
	mux.HandleFunc("/", hello)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		hello(w, r)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pid", pid)
		fmt.Fprint(w, "ok")
	})
	return mux
}

// announce prints the harness's readiness line (it learns the port from the first one).
func announce(ln net.Listener) {
	fmt.Printf("listening on %s pid=%d generation=%d\n", ln.Addr().String(), os.Getpid(), generation())
}

// notifyMainPID tells a systemd-style supervisor (the harness) that this process is now the
// one to signal: the libraries' successors have a new PID, and the next restart signal must
// reach them, not the draining parent.
func notifyMainPID() {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.Dial("unixgram", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		return
	}
	defer c.Close()
	fmt.Fprintf(c, "READY=1\nMAINPID=%d\n", os.Getpid())
}

func nextGenerationEnv() {
	os.Setenv("PEER_GENERATION", strconv.Itoa(generation()+1))
}
