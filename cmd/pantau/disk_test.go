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

	"golang.org/x/sys/unix"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
)

// A full disk, made without root: the test lowers the running daemon's
// RLIMIT_FSIZE (prlimit on the child's pid) to the store file's current
// size. Writes inside the file still work, but bbolt cannot grow it: the
// commit that needs more room fails with EFBIG ("file too large"), the
// same failure path as ENOSPC (the file cannot be extended; the
// transaction is rolled back). The Go runtime ignores SIGXFSZ, so the
// process gets the error instead of dying. Raising the limit is "space is
// back". Injecting failures at the store's file layer instead would test
// our wrapper, not bbolt's own behaviour after a failed commit, and a
// loop-mounted small file system needs root.
//
// The daemon must report it (log, /readyz, metric), keep serving reads,
// and resume writes with nothing lost once the limit is lifted.
func TestFullDiskIsReportedAndRecovered(t *testing.T) {
	bin := buildPantau(t)
	// 100 items a second, served from a window of 2 minutes, so items the
	// daemon could not store while "full" are still there afterwards.
	feed := fakesource.Stream(time.Now, 10*time.Millisecond, 12000, 200000)
	src := httptest.NewServer(feed)
	defer src.Close()
	dir := t.TempDir()
	addr, opsAddr := freePort(t), freePort(t)
	config := filepath.Join(dir, "pantau.yaml")
	os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir: %q
http: {listen: %q, auth: none}
ops: {listen: %q}
log: {level: warn}
brands: [{name: kilat, terms: ["kilat express"]}]
sources: [{name: stream, kind: rss, url: %q, brand: kilat, schedule: "@every 1s"}]
`, filepath.Join(dir, "data"), addr, opsAddr, src.URL)), 0o600)
	p := startDaemon(t, bin, config)
	defer p.cmd.Process.Kill()
	logs := func() string { return p.stderr.String() }
	waitFor(t, 20*time.Second, "items stored", func() bool { return itemsSeen(addr, "stream") > 50 }, logs)

	dbPath := filepath.Join(dir, "data", storeFileName)
	fi, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	pid := p.cmd.Process.Pid
	full := unix.Rlimit{Cur: uint64(fi.Size()), Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &full, nil); err != nil {
		t.Skipf("prlimit not allowed here: %v", err)
	}
	waitFor(t, 60*time.Second, "/readyz to report failing writes", func() bool {
		code, body := httpGet(t, "http://"+opsAddr+"/readyz")
		return code == 503 && strings.Contains(body, "writes fail since") && strings.Contains(body, "file too large")
	}, logs)
	if _, body := httpGet(t, "http://"+opsAddr+"/metrics"); !strings.Contains(body, "pantau_store_write_failing 1") {
		t.Error("the write-failing metric is not 1")
	}
	if code, _ := httpGet(t, "http://"+addr+"/readyz"); code != 503 {
		t.Errorf("dashboard /readyz: %d, want 503", code)
	}
	if code, _ := httpGet(t, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("/healthz %d while writes fail: the process is alive", code)
	}
	// Reads keep working.
	if code, body := httpGet(t, "http://"+addr+"/api/mentions?limit=5"); code != 200 || !strings.Contains(body, "stream") {
		t.Errorf("reads while the disk is full: %d %.200s", code, body)
	}
	if !strings.Contains(logs(), "file too large") {
		t.Errorf("the log does not say why writes fail:\n%s", logs())
	}
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("the daemon died")
	}

	// Space is back.
	free := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &free, nil); err != nil {
		t.Fatal(err)
	}
	stuck := itemsSeen(addr, "stream")
	waitFor(t, 60*time.Second, "writes to resume", func() bool {
		code, _ := httpGet(t, "http://"+opsAddr+"/readyz")
		return code == 200 && itemsSeen(addr, "stream") > stuck
	}, logs)
	feed.Freeze()
	served := feed.Served()
	waitFor(t, 60*time.Second, "every served item stored", func() bool { return itemsSeen(addr, "stream") == len(served) },
		func() string {
			return fmt.Sprintf("%d of %d stored\n%s", itemsSeen(addr, "stream"), len(served), logs())
		})
	stopDaemon(t, p)

	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("the store does not open after the full disk: %v", err)
	}
	defer st.Close()
	for _, id := range served {
		if _, ok, err := st.Mention(store.MentionKey("rss", id)); !ok || err != nil {
			t.Fatalf("served item %s lost (%v)", id, err)
		}
	}
	t.Logf("%d items served, all stored across a full disk", len(served))
}
