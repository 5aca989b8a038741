package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func runPantau(bin string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func stopDaemon(t *testing.T, p *daemonProc) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.stderr)
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("no exit after SIGTERM\n%s", p.stderr)
	}
}

// The real binary with an ops listener: metrics name the configured
// source and nothing from the mentions, health and readiness answer on
// both listeners, a hot backup goes through the daemon while it ingests,
// restore and compact refuse while it runs and work once it stopped.
func TestOpsListenerBackupRestoreCompact(t *testing.T) {
	bin := buildPantau(t)
	feed := fakesource.Stream(time.Now, 10*time.Millisecond, 500, 100000)
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
retention: {events: 30d, samples: 7d}
brands: [{name: kilat, terms: ["kilat express"]}]
sources: [{name: stream, kind: rss, url: %q, brand: kilat, schedule: "@every 1s"}]
rules: [{name: complaint, metric: complaint, min: 0.7}]
`, filepath.Join(dir, "data"), addr, opsAddr, src.URL)), 0o600)

	p := startDaemon(t, bin, config)
	waitFor(t, 20*time.Second, "items stored", func() bool { return itemsSeen(addr, "stream") > 20 }, func() string { return p.stderr.String() })

	code, body := httpGet(t, "http://"+opsAddr+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`pantau_source_mentions_total{source="stream"}`,
		`pantau_fetch_duration_seconds_bucket{source="stream"`,
		`pantau_source_lag_seconds{source="stream"}`,
		`pantau_score_duration_seconds_count`,
		`pantau_websocket_clients 0`,
		`pantau_store_size_bytes`,
		`pantau_store_write_transactions_total`,
		`pantau_store_write_failing 0`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, line := range strings.Split(body, "\n") {
		// Labels carry configured names only: no mention text, no URL.
		if strings.Contains(line, "kilat express") || strings.Contains(line, src.URL) {
			t.Errorf("metric line carries user text or a URL: %s", line)
		}
	}
	for _, base := range []string{"http://" + addr, "http://" + opsAddr} {
		if code, body := httpGet(t, base+"/healthz"); code != 200 {
			t.Errorf("%s/healthz: %d %s", base, code, body)
		}
		if code, body := httpGet(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
			t.Errorf("%s/readyz: %d %s", base, code, body)
		}
	}
	// A page that rebinds a DNS name to 127.0.0.1 does not get the store.
	req, _ := http.NewRequest("GET", "http://"+opsAddr+"/backup", nil)
	req.Host = "evil.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("backup for a foreign Host: %v %v", resp, err)
	}

	// Hot backup while the daemon ingests.
	backup := filepath.Join(dir, "backup.db")
	out, err := runPantau(bin, "backup", "-config", config, "-out", backup)
	if err != nil || !strings.Contains(out, "the running daemon") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	bst, err := store.Open(backup, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backedUp, _ := bst.SourceState("stream")
	bst.Close()
	if backedUp.ItemsSeen < 20 {
		t.Fatalf("the backup holds %d items", backedUp.ItemsSeen)
	}

	waitFor(t, 20*time.Second, "items stored after the backup", func() bool { return itemsSeen(addr, "stream") > int(backedUp.ItemsSeen) },
		func() string { return p.stderr.String() })

	// Restore and compact refuse while the daemon runs.
	for _, args := range [][]string{{"restore", "-config", config, "-in", backup}, {"compact", "-config", config}} {
		out, err := runPantau(bin, args...)
		if err == nil || !strings.Contains(out, "in use by a running pantau") {
			t.Errorf("%s while running: %v\n%s", args[0], err, out)
		}
	}
	// A file that is not a store is refused before anything is touched.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("hello"), 0o600)
	if out, err := runPantau(bin, "restore", "-config", config, "-in", junk); err == nil || !strings.Contains(out, "cannot be restored") {
		t.Errorf("restore of junk: %v\n%s", err, out)
	}
	stopDaemon(t, p)

	live, _ := store.Open(filepath.Join(dir, "data", storeFileName), store.Options{})
	liveState, _ := live.SourceState("stream")
	live.Close()
	// Backup with no daemon reads the file directly.
	if out, err := runPantau(bin, "backup", "-config", config, "-out", filepath.Join(dir, "offline.db")); err != nil || !strings.Contains(out, "no daemon running") {
		t.Errorf("offline backup: %v\n%s", err, out)
	}
	out, err = runPantau(bin, "restore", "-config", config, "-in", backup)
	if err != nil || !strings.Contains(out, "kept as") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	restored, err := store.Open(filepath.Join(dir, "data", storeFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := restored.SourceState("stream")
	restored.Close()
	if got.ItemsSeen != backedUp.ItemsSeen {
		t.Errorf("restored store has %d items, the backup %d", got.ItemsSeen, backedUp.ItemsSeen)
	}
	baks, _ := filepath.Glob(filepath.Join(dir, "data", storeFileName+".bak-*"))
	if len(baks) != 1 {
		t.Fatalf("kept files: %v", baks)
	}
	kept, _ := store.Open(baks[0], store.Options{})
	keptState, _ := kept.SourceState("stream")
	kept.Close()
	if keptState.ItemsSeen != liveState.ItemsSeen {
		t.Errorf("the kept file has %d items, the store had %d", keptState.ItemsSeen, liveState.ItemsSeen)
	}

	out, err = runPantau(bin, "compact", "-config", config)
	if err != nil || !strings.Contains(out, "bytes before") {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	compacted, err := store.Open(filepath.Join(dir, "data", storeFileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer compacted.Close()
	if st, _ := compacted.SourceState("stream"); st.ItemsSeen != backedUp.ItemsSeen {
		t.Errorf("compaction lost data: %d items", st.ItemsSeen)
	}
	t.Logf("compact: %s", strings.TrimSpace(out))
}
