// Go peer 1: net/http with the graceful Shutdown of the article's first program (standard
// library only). SIGINT/SIGTERM: stop accepting, finish in-flight requests (5 s budget), exit.
// It cannot restart itself: "restart" is stop-then-start by a supervisor (bench/compare.sh's
// go-shutdown peer does it with a command fault), so the port is closed between the two
// processes. -pid-file: written (temp + rename) once it listens, as daemons do.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	pidFile := flag.String("pid-file", "", "pid file, written once listening")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	if *pidFile != "" {
		tmp := *pidFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "pid file:", err)
			os.Exit(1)
		}
		if err := os.Rename(tmp, *pidFile); err != nil {
			fmt.Fprintln(os.Stderr, "pid file:", err)
			os.Exit(1)
		}
	}
	srv := &http.Server{Handler: handler()}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	announce(ln)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		os.Exit(1)
	}
	<-done
}
