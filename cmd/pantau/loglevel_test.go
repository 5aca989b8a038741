package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
)

// SIGHUP re-reads log.level: debug lines appear only after a reload asks
// for them, and go again after one that asks for info; a corrupted file
// changes nothing. A secret in the config never shows in the log at any
// level.
func TestSIGHUPReloadsTheLogLevel(t *testing.T) {
	bin := buildPantau(t)
	feed := fakesource.Stream(time.Now, time.Second, 10, 100)
	src := httptest.NewServer(feed)
	defer src.Close()
	dir := t.TempDir()
	addr := freePort(t)
	config := filepath.Join(dir, "pantau.yaml")
	const secret = "hook-secret-4f9a1c"
	write := func(level string) {
		os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir: %q
http: {listen: %q, auth: none}
log: {level: %s}
brands: [{name: kilat, terms: ["kilat express"]}]
sources: [{name: stream, kind: rss, url: %q, schedule: "@every 1s"}]
receivers: [{name: hook, kind: webhook, webhook: {url: "http://127.0.0.1:1/hook", secret: %q}}]
`, filepath.Join(dir, "data"), addr, level, src.URL, secret)), 0o600)
	}
	write("info")
	p := startDaemon(t, bin, config)
	logs := func() string { return p.stderr.String() }
	waitFor(t, 20*time.Second, "the daemon to serve", func() bool { return itemsSeen(addr, "stream") >= 0 }, logs)
	if strings.Contains(logs(), "level=DEBUG") {
		t.Fatalf("debug lines at level info:\n%s", logs())
	}
	write("debug")
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "debug lines after the reload", func() bool { return strings.Contains(logs(), "level=DEBUG") }, logs)
	write("info")
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the second reload", func() bool { return strings.Count(logs(), "config reloaded") == 2 }, logs)
	mark := len(logs())
	before := itemsSeen(addr, "stream")
	waitFor(t, 20*time.Second, "another poll", func() bool { return itemsSeen(addr, "stream") > before }, logs)
	if strings.Contains(logs()[mark:], "level=DEBUG") {
		t.Errorf("debug lines after going back to info:\n%s", logs()[mark:])
	}
	// A corrupted file (binary garbage, broken YAML) is reported and the
	// running config stays: still at info, still polling.
	os.WriteFile(config, []byte("\x00\xff\xfe log: [level: debug\n\tsources: {"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the corrupted reload to be reported", func() bool { return strings.Contains(logs(), "config reload failed") }, logs)
	mark = len(logs())
	before = itemsSeen(addr, "stream")
	waitFor(t, 20*time.Second, "a poll after the corrupted reload", func() bool { return itemsSeen(addr, "stream") > before }, logs)
	if strings.Contains(logs()[mark:], "level=DEBUG") {
		t.Errorf("the corrupted config changed the level")
	}
	stopDaemon(t, p)
	if strings.Contains(logs(), secret) {
		t.Error("the webhook secret is in the log")
	}
}
