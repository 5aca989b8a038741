package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
)

//go:embed demo.yaml
var demoConfig string

// cmdDemo runs the real daemon on its embedded default: the demo config,
// pointed at fake sources served over real HTTP on loopback. Nothing about
// the daemon's own path differs from `pantau run`.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "dashboard address (a busy port falls back to a free one)")
	dataDir := fs.String("data", "", "data directory (default: a fresh temporary one, removed on exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" {
		dir, err := os.MkdirTemp("", "pantau-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*dataDir = dir
	}

	sources, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo sources: %w", err)
	}
	fake := &http.Server{Handler: fakesource.Mux(fakesource.Demo(time.Now)), ReadHeaderTimeout: 5 * time.Second}
	go fake.Serve(sources)
	defer fake.Close()

	addr := *listen
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0"
	} else {
		ln.Close()
	}
	text := strings.NewReplacer(
		"{{SOURCES}}", "http://"+sources.Addr().String(),
		"{{LISTEN}}", addr,
		"{{DATA}}", *dataDir,
	).Replace(demoConfig)
	cfg, err := parseConfig("demo.yaml (embedded)", []byte(text))
	if err != nil {
		return err
	}
	return serve(ctx, cfg, serveOptions{Stdout: stdout, Stderr: stderr, Ready: func(dash string) {
		fmt.Fprintf(stdout, "\nPantau demo is running. Open the dashboard: %s\n", dash)
		fmt.Fprintf(stdout, "Fake sources (RSS, Atom, JSON Feed, App Store, Google Alerts) at http://%s/\n", sources.Addr())
		fmt.Fprintf(stdout, "Press Ctrl-C to stop.\n\n")
	}})
}
