package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
)

// buildPantau compiles the real binary once per test run.
func buildPantau(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "pantau")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// daemonProc is one run of the pantau binary.
type daemonProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

func startDaemon(t *testing.T, bin, config string) *daemonProc {
	t.Helper()
	p := &daemonProc{stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "run", "-config", config)
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.stderr.WriteString(sc.Text() + "\n")
		}
		p.done <- p.cmd.Wait()
	}()
	return p
}

// TestCrashDuringIngestLosesNothing kills the daemon with SIGKILL at random
// moments while a busy source streams items, restarts it each time, and
// checks that every item the source ever served is stored exactly once:
// present in the store, and announced by exactly one mention.new event.
func TestCrashDuringIngestLosesNothing(t *testing.T) {
	bin := buildPantau(t)
	// 200 items a second, a window wide enough that no poll misses any.
	feed := fakesource.Stream(time.Now, 5*time.Millisecond, 1000, 200000)
	src := httptest.NewServer(feed)
	defer src.Close()

	dir := t.TempDir()
	addr := freePort(t)
	config := filepath.Join(dir, "pantau.yaml")
	os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir: %q
http: {listen: %q, auth: none}
log: {level: warn}
brands:
  - name: kilat
    terms: ["kilat express"]
sources:
  - name: stream
    kind: rss
    url: %q
    brand: kilat
    schedule: "@every 1s"
rules:
  - {name: complaint, metric: complaint, min: 0.7}
`, filepath.Join(dir, "data"), addr, src.URL)), 0o600)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := range 3 {
		p := startDaemon(t, bin, config)
		before := len(feed.Served())
		waitFor(t, 20*time.Second, "the daemon to fetch new items", func() bool { return len(feed.Served()) > before },
			func() string { return p.stderr.String() })
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		t.Logf("round %d: killed after the source served %d items", round, len(feed.Served()))
	}

	p := startDaemon(t, bin, config)
	time.Sleep(1500 * time.Millisecond)
	feed.Freeze()
	served := feed.Served()
	waitFor(t, 30*time.Second, "every served item to be stored", func() bool {
		n := itemsSeen(addr, "stream")
		if n > len(served) {
			t.Fatalf("%d items stored, only %d served", n, len(served))
		}
		return n == len(served)
	}, func() string {
		return fmt.Sprintf("stored %d of %d served; daemon log:\n%s", itemsSeen(addr, "stream"), len(served), p.stderr)
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("graceful stop: %v\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("daemon did not stop on SIGTERM\n%s", p.stderr)
	}

	st, err := store.Open(filepath.Join(dir, "data", storeFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range served {
		if _, ok, err := st.Mention(store.MentionKey("rss", id)); err != nil || !ok {
			t.Fatalf("served item %s is not stored (%v)", id, err)
		}
	}
	announced := map[string]int{}
	var last uint64
	for {
		evs, err := st.EventsSince(last, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Seq != last+1 {
				t.Fatalf("event sequence jumps from %d to %d", last, e.Seq)
			}
			last = e.Seq
			if e.Type == store.EventMentionNew {
				var m store.Mention
				json.Unmarshal(e.Data, &m)
				announced[m.Key]++
			}
		}
	}
	if len(announced) != len(served) {
		t.Errorf("%d mentions announced, %d served", len(announced), len(served))
	}
	for k, n := range announced {
		if n != 1 {
			t.Errorf("%s announced %d times", k, n)
		}
	}
	t.Logf("%d items served across 3 crashes, all stored exactly once", len(served))
}

// syncBuffer collects the daemon's log while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func itemsSeen(addr, source string) int {
	resp, err := http.Get("http://" + addr + "/api/sources")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var states []store.SourceState
	if json.Unmarshal(body, &states) != nil {
		var wrapped struct{ Sources []store.SourceState }
		json.Unmarshal(body, &wrapped)
		states = wrapped.Sources
	}
	for _, s := range states {
		if s.Source == source {
			return int(s.ItemsSeen)
		}
	}
	return -1
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool, explain func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s: %s", what, explain())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// A reload sent while the daemon is still starting must not end it (the
// default action of SIGHUP), and a reload with an invalid config keeps the
// running one.
func TestSIGHUPWhileStartingAndWithABadConfig(t *testing.T) {
	bin := buildPantau(t)
	feed := fakesource.Stream(time.Now, time.Second, 10, 100)
	src := httptest.NewServer(feed)
	defer src.Close()
	dir := t.TempDir()
	addr := freePort(t)
	config := filepath.Join(dir, "pantau.yaml")
	good := fmt.Sprintf(`
data_dir: %q
http: {listen: %q, auth: none}
brands: [{name: kilat, terms: ["kilat express"]}]
sources: [{name: stream, kind: rss, url: %q, schedule: "@every 1s"}]
`, filepath.Join(dir, "data"), addr, src.URL)
	os.WriteFile(config, []byte(good), 0o600)
	p := startDaemon(t, bin, config)
	// While it starts: the data directory appears once main has taken
	// SIGHUP and read the config, before the store, the listener and the
	// collectors are up.
	waitFor(t, 20*time.Second, "the data directory", func() bool {
		_, err := os.Stat(filepath.Join(dir, "data"))
		return err == nil
	}, func() string { return p.stderr.String() })
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the daemon to serve", func() bool { return itemsSeen(addr, "stream") >= 0 },
		func() string { return p.stderr.String() })
	os.WriteFile(config, []byte(good+"bogus_key: 1\n"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the bad reload to be reported", func() bool {
		return strings.Contains(p.stderr.String(), "config reload failed")
	}, func() string { return p.stderr.String() })
	if itemsSeen(addr, "stream") < 0 {
		t.Fatalf("the daemon stopped serving after a bad reload:\n%s", p.stderr)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatal("no exit after SIGTERM")
	}
}
