package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store"
)

// cmdSoak runs the real daemon (this binary, `pantau run`, as a child
// process) against the demo's fake RSS sources pushed to a given rate,
// with many dashboard websocket clients, and reports every interval the
// daemon's heap and RSS, items served vs stored vs delivered, and the
// latency from the store's commit to each client. It exits non-zero when
// anything served is not stored, or any client misses or repeats an
// event.
func cmdSoak(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	passed := false
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 10*time.Minute, "how long to push load")
	rate := fs.Int("rate", 1000, "mentions per second, over all sources")
	nSources := fs.Int("sources", 4, "fake sources sharing the rate")
	nClients := fs.Int("clients", 200, "dashboard websocket clients")
	every := fs.Duration("report", 30*time.Second, "report interval")
	dataDir := fs.String("data", "", "data directory (default: a temporary one, removed after a run that passes)")
	bin := fs.String("bin", "", "pantau binary to run as the daemon (default: this one)")
	drainFor := fs.Duration("drain", 5*time.Minute, "how long to wait, after the load stops, for everything served to be stored and delivered")
	keep := fs.Duration("window", 10*time.Second, "how long an item stays in its feed: a poll later than that misses it, and the run fails")
	cpuProfile := fs.String("cpuprofile", "", "write the load generator's own CPU profile here (the daemon's is at its ops address, /debug/pprof/profile)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *rate <= 0 || *nSources <= 0 || *nClients < 0 || *duration <= 0 || *keep < 2*time.Second {
		return errors.New("soak: -rate, -sources and -duration must be positive, -clients not negative, -window at least 2s")
	}
	if *dataDir == "" {
		dir, err := os.MkdirTemp("", "pantau-soak-")
		if err != nil {
			return err
		}
		// Kept when the run fails: the daemon's log and store explain it.
		defer func() {
			if passed {
				os.RemoveAll(dir)
			} else {
				fmt.Fprintf(stderr, "soak: the daemon's log and store are kept in %s\n", dir)
			}
		}()
		*dataDir = dir
	}
	exe := *bin
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}

	// The sources: each releases rate/sources items a second and serves
	// its newest -window of them, polled every second.
	perSource := float64(*rate) / float64(*nSources)
	interval := time.Duration(float64(time.Second) / perSource)
	count := int(perSource*duration.Seconds()) + int(perSource)*5
	var feeds []*fakesource.Feed
	var sources strings.Builder
	for i := range *nSources {
		f := soakFeed(i, interval, int(perSource*keep.Seconds())+10, count)
		srv := httptest.NewServer(f)
		defer srv.Close()
		feeds = append(feeds, f)
		fmt.Fprintf(&sources, "  - {name: soak%d, kind: rss, url: %q, brand: kilat, schedule: \"@every 1s\"}\n", i, srv.URL)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	opsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	config := filepath.Join(*dataDir, "soak.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir: %q
http: {listen: %q, auth: none}
ops: {listen: %q}
log: {level: warn}
brands: [{name: kilat, terms: ["kilat express"]}]
sources:
%srules:
  - {name: complaint, metric: complaint, min: 0.7}
`, filepath.Join(*dataDir, "data"), addr, opsAddr, sources.String())), 0o600); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(*dataDir, "daemon.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	daemon := exec.Command(exe, "run", "-config", config)
	daemon.Stdout, daemon.Stderr = logFile, logFile
	if err := daemon.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()
	defer func() {
		daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			daemon.Process.Kill()
		}
	}()
	if err := waitHTTP(ctx, "http://"+opsAddr+"/readyz", 30*time.Second, exited); err != nil {
		return fmt.Errorf("soak: the daemon did not get ready: %w (log: %s)", err, logFile.Name())
	}
	fmt.Fprintf(stdout, "soak: daemon pid %d, %d mentions/s from %d sources, %d websocket clients, %s; dashboard http://%s/\n",
		daemon.Process.Pid, *rate, *nSources, *nClients, *duration, addr)

	cctx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	clients := make([]*soakClient, *nClients)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = &soakClient{hist: newLatencyHist()}
		wg.Add(1)
		go func(c *soakClient) { defer wg.Done(); c.run(cctx, "ws://"+addr+"/ws") }(clients[i])
	}

	start := time.Now()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	var firstHeap, maxHeap, firstRSS, maxRSS float64
	report := func(final bool) {
		heap, rss, fetchErrs := daemonMemory(opsAddr)
		anon, file := procRSS(daemon.Process.Pid)
		if firstHeap == 0 {
			firstHeap, firstRSS = heap, rss
		}
		maxHeap, maxRSS = math.Max(maxHeap, heap), math.Max(maxRSS, rss)
		served, released := 0, 0
		for _, f := range feeds {
			served += len(f.Served())
			released += f.Released()
		}
		stored := storedCount(addr, *nSources)
		lo, hi, dups, gaps, reconnects := int64(math.MaxInt64), int64(0), int64(0), int64(0), int64(0)
		window := newLatencyHist()
		for _, c := range clients {
			n := c.mentions.Load()
			lo, hi = min(lo, n), max(hi, n)
			dups += c.dups.Load()
			gaps += c.gaps.Load()
			reconnects += c.reconnects.Load()
			c.hist.drainInto(window)
		}
		if len(clients) == 0 {
			lo = 0
		}
		label := fmt.Sprintf("t=%s", time.Since(start).Round(time.Second))
		if final {
			label = "final"
		}
		fmt.Fprintf(stdout, "%-8s heap_inuse=%.1fMiB rss=%.1fMiB (anon %.1f, file %.1f) released=%d served=%d stored=%d ws_delivered[min=%d max=%d] dup=%d gaps=%d reconnects=%d fetch_errors=%.0f commit->ws p50=%s p99=%s max=%s (n=%d)\n",
			label, heap/(1<<20), rss/(1<<20), anon/(1<<20), file/(1<<20), released, served, stored, lo, hi, dups, gaps, reconnects, fetchErrs,
			window.quantile(0.5), window.quantile(0.99), window.quantile(1), window.n)
	}
	deadline := time.After(*duration)
loop:
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("soak: the daemon exited: %v (log: %s)", err, logFile.Name())
		case <-tick.C:
			report(false)
		case <-deadline:
			break loop
		}
	}

	// Stop the load and let everything drain: every served item stored,
	// every client caught up.
	for _, f := range feeds {
		f.Freeze()
	}
	// Items released before the freeze are still served by later polls:
	// wait until the count of served items holds still and all are stored.
	servedNow := func() int {
		n := 0
		for _, f := range feeds {
			n += len(f.Served())
		}
		return n
	}
	var failures []string
	drain := time.Now().Add(*drainFor)
	served, stableSince := servedNow(), time.Now()
	for time.Now().Before(drain) {
		time.Sleep(500 * time.Millisecond)
		if n := servedNow(); n != served {
			served, stableSince = n, time.Now()
			continue
		}
		if time.Since(stableSince) > 3*time.Second && storedCount(addr, *nSources) >= served {
			break
		}
	}
	stored := storedCount(addr, *nSources)
	released := 0
	for _, f := range feeds {
		released += f.Released()
	}
	// A feed serves only its newest items: what the daemon did not fetch in
	// time is gone, as on a real feed. That means it did not keep up.
	if served != released {
		failures = append(failures, fmt.Sprintf("%d items released, %d fetched: the rest fell out of the feeds' windows before a poll", released, served))
	}
	if stored != served {
		failures = append(failures, fmt.Sprintf("%d items served, %d stored", served, stored))
	}
	for time.Now().Before(drain) {
		behind := 0
		for _, c := range clients {
			if c.mentions.Load() < int64(stored) {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	report(true)
	stopClients()
	wg.Wait()
	for i, c := range clients {
		if n := c.mentions.Load(); n != int64(stored) {
			failures = append(failures, fmt.Sprintf("client %d got %d of %d mentions", i, n, stored))
		}
		if d := c.dups.Load(); d > 0 {
			failures = append(failures, fmt.Sprintf("client %d got %d mentions twice", i, d))
		}
		if g := c.gaps.Load(); g > 0 {
			failures = append(failures, fmt.Sprintf("client %d saw %d gaps in the event sequence", i, g))
		}
	}
	fmt.Fprintf(stdout, "memory: heap_inuse first %.1fMiB max %.1fMiB; rss first %.1fMiB max %.1fMiB\n",
		firstHeap/(1<<20), maxHeap/(1<<20), firstRSS/(1<<20), maxRSS/(1<<20))
	if len(failures) > 0 {
		if len(failures) > 10 {
			failures = append(failures[:10], fmt.Sprintf("... and %d more", len(failures)-10))
		}
		return fmt.Errorf("soak failed:\n  %s", strings.Join(failures, "\n  "))
	}
	passed = true
	fmt.Fprintf(stdout, "soak passed: %d served, %d stored, every client got each exactly once\n", served, stored)
	return nil
}

// soakFeed is an RSS feed releasing count items, one every interval, and
// serving the newest window of them. Ids carry the feed's number: a
// mention's key is its kind and id, so feeds must not share ids.
func soakFeed(n int, interval time.Duration, window, count int) *fakesource.Feed {
	f := fakesource.NewFeed(fakesource.RSS, fmt.Sprintf("soak %d", n), time.Now)
	f.Window = window
	items := make([]fakesource.Item, count)
	for i := range items {
		items[i] = fakesource.Item{
			ID:     fmt.Sprintf("soak%d-%07d", n, i),
			Author: "user" + strconv.Itoa(i%997),
			Title:  "Kilat Express mention " + strconv.Itoa(i),
			Text:   soakTexts[i%len(soakTexts)],
			Link:   fmt.Sprintf("https://forum.example/t/%d/%d", n, i),
			At:     time.Duration(i) * interval,
		}
	}
	f.Add(items...)
	return f
}

var soakTexts = []string{
	"Kilat Express paket saya belum sampai, udah 4 hari, kecewa bgt",
	"Thanks Kilat Express, quick delivery today",
	"Kilat Express kurirnya ramah banget",
	"Why is Kilat Express tracking down again? Still no refund",
	"kilat express gk bisa dihubungi, nggak dibales min",
}

// soakClient is one dashboard: it follows /ws from the first event,
// reconnecting with since= after being dropped, and checks that the
// sequence has no gaps and that no mention is announced twice.
type soakClient struct {
	mentions   atomic.Int64
	dups       atomic.Int64
	gaps       atomic.Int64
	reconnects atomic.Int64
	hist       *latencyHist
}

func (c *soakClient) run(ctx context.Context, base string) {
	var seen mentionSet
	var last uint64
	var buf bytes.Buffer // one frame at a time, reused
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			c.reconnects.Add(1)
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		conn, _, err := soakDialer.DialContext(ctx, base+"?since="+strconv.FormatUint(last, 10), nil)
		if err != nil {
			continue
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		for {
			// NextReader into a reused buffer, not ReadMessage: that
			// allocates each frame anew, and 200 clients reading 2,000
			// frames a second each made the load generator's garbage
			// collector the busiest thing on the machine.
			_, r, err := conn.NextReader()
			if err != nil {
				break
			}
			buf.Reset()
			if _, err := buf.ReadFrom(r); err != nil {
				break
			}
			e, ok := parseSoakEvent(buf.Bytes())
			if !ok {
				continue
			}
			if e.Seq != last+1 {
				c.gaps.Add(1)
			}
			last = e.Seq
			if e.Type != store.EventMentionNew {
				continue
			}
			if !seen.add(e.Data.Key) {
				c.dups.Add(1)
				continue
			}
			c.mentions.Add(1)
			c.hist.add(time.Since(e.At))
		}
		stop()
		conn.Close()
	}
}

// soakDialer reads through a 64 KiB buffer: a frame is about 1.5 KB, and
// the default 4 KiB meant a read system call every two or three frames.
var soakDialer = &websocket.Dialer{ReadBufferSize: 64 << 10, HandshakeTimeout: 10 * time.Second}

// mentionSet remembers the mention keys a client has seen. The soak's own
// keys (rss:soak<feed>-<7-digit number>) take a bit each; a map of 75,000
// strings per client, times 200 clients, was over half a gigabyte.
type mentionSet struct {
	bits  [][]uint64 // by feed, then item number
	other map[string]bool
}

// add records key and reports whether it was new.
func (s *mentionSet) add(key string) bool {
	if feed, n, ok := soakItem(key); ok {
		for len(s.bits) <= feed {
			s.bits = append(s.bits, nil)
		}
		for len(s.bits[feed]) <= n/64 {
			s.bits[feed] = append(s.bits[feed], 0)
		}
		w, bit := &s.bits[feed][n/64], uint64(1)<<(n%64)
		if *w&bit != 0 {
			return false
		}
		*w |= bit
		return true
	}
	if s.other == nil {
		s.other = map[string]bool{}
	}
	if s.other[key] {
		return false
	}
	s.other[key] = true
	return true
}

// soakItem reads the feed and item number of a soak mention key.
func soakItem(key string) (feed, n int, ok bool) {
	rest, ok := strings.CutPrefix(key, "rss:soak")
	if !ok {
		return 0, 0, false
	}
	f, num, ok := strings.Cut(rest, "-")
	if !ok || len(num) != 7 {
		return 0, 0, false
	}
	feed, err1 := strconv.Atoi(f)
	n, err2 := strconv.Atoi(num)
	if err1 != nil || err2 != nil || feed < 0 || feed > 1000 || n < 0 {
		return 0, 0, false
	}
	return feed, n, true
}

// soakEvent is what a soak client reads of an event.
type soakEvent struct {
	Seq  uint64    `json:"seq"`
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	Data struct {
		Key string `json:"key"`
	} `json:"data"`
}

// parseSoakEvent reads an event's seq and type, and a new mention's time
// and key, from the start of the frame, as the server writes it
// ({"seq":N,"type":"...","at":"...","data":{"key":"...",...), and decodes
// the whole frame only when it does not start that way. Why: the 200
// clients share the 2 cores with the daemon, and fully scanning every
// frame (about 1.5 KB, ~2,000 a second each at 1,000 mentions/s) made the
// load generator use more CPU than the daemon it measures (issue 8).
func parseSoakEvent(data []byte) (soakEvent, bool) {
	var e soakEvent
	rest, ok := bytes.CutPrefix(data, []byte(`{"seq":`))
	var seq, typ, at []byte
	if ok {
		seq, rest, ok = bytes.Cut(rest, []byte(`,"type":"`))
	}
	if ok {
		typ, rest, ok = bytes.Cut(rest, []byte(`","at":"`))
	}
	if ok {
		at, rest, ok = bytes.Cut(rest, []byte(`","data":`))
	}
	var err error
	if ok {
		e.Seq, err = strconv.ParseUint(string(seq), 10, 64)
		ok = err == nil && !bytes.ContainsAny(typ, `"\`)
	}
	if ok {
		e.Type = string(typ)
	}
	// Only new mentions are timed and counted: the rest needs only seq.
	if ok && e.Type == store.EventMentionNew {
		e.At, err = time.Parse(time.RFC3339Nano, string(at))
		ok = err == nil
	}
	if ok && e.Type == store.EventMentionNew {
		var key []byte
		if rest, ok = bytes.CutPrefix(rest, []byte(`{"key":"`)); ok {
			key, _, ok = bytes.Cut(rest, []byte(`"`))
			ok = ok && !bytes.Contains(key, []byte(`\`))
		}
		e.Data.Key = string(key)
	}
	if ok {
		return e, true
	}
	e = soakEvent{}
	return e, json.Unmarshal(data, &e) == nil
}

// latencyHist counts durations in buckets 2% wide (log scale), enough for
// p50 and p99 without keeping every sample.
type latencyHist struct {
	mu      sync.Mutex
	buckets [1200]int64
	n       int64
}

func newLatencyHist() *latencyHist { return &latencyHist{} }

const histBase = 1.02

func (h *latencyHist) add(d time.Duration) {
	us := max(float64(d.Microseconds()), 1)
	i := min(int(math.Log(us)/math.Log(histBase)), len(h.buckets)-1)
	h.mu.Lock()
	h.buckets[i]++
	h.n++
	h.mu.Unlock()
}

func (h *latencyHist) drainInto(to *latencyHist) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, v := range h.buckets {
		to.buckets[i] += v
		h.buckets[i] = 0
	}
	to.n += h.n
	h.n = 0
}

func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	want := int64(math.Ceil(q * float64(h.n)))
	var acc int64
	for i, v := range h.buckets {
		acc += v
		if acc >= want {
			return time.Duration(math.Pow(histBase, float64(i+1))) * time.Microsecond
		}
	}
	return 0
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(ctx context.Context, u string, limit time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("timed out")
}

// daemonMemory reads the daemon's heap in use, RSS and failed polls
// from its metrics.
func daemonMemory(opsAddr string) (heap, rss, fetchErrors float64) {
	resp, err := http.Get("http://" + opsAddr + "/metrics")
	if err != nil {
		return 0, 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			heap, _ = strconv.ParseFloat(value, 64)
		case "process_resident_memory_bytes":
			rss, _ = strconv.ParseFloat(value, 64)
		}
		if strings.HasPrefix(name, "pantau_fetch_errors_total{") {
			v, _ := strconv.ParseFloat(value, 64)
			fetchErrors += v
		}
	}
	return heap, rss, fetchErrors
}

// procRSS splits the daemon's resident memory into anonymous memory (the
// Go heap and stacks: what must stay flat) and file pages (mostly the
// store's memory map, which grows with the data). Zero where /proc is
// missing.
func procRSS(pid int) (anon, file float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		switch name {
		case "RssAnon":
			anon = kb * 1024
		case "RssFile":
			file = kb * 1024
		}
	}
	return anon, file
}

// storedCount is the new mentions stored from the soak's sources, as the
// dashboard's API reports them.
func storedCount(addr string, n int) int {
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
	total := 0
	for _, s := range states {
		if strings.HasPrefix(s.Source, "soak") {
			total += int(s.ItemsSeen)
		}
	}
	return total
}
