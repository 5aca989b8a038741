package collectors

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/collectors/fakesource"
	"github.com/pantau/pantau/store/secret"
)

// The benchmark corpus: a realistic slice of the firehose, mostly
// irrelevant posts in many languages, likes, reposts, follows, deletes and
// identity/account events, with a few mentions of the brand. It is
// generated (deterministically) rather than captured, so it holds no one's
// real posts; PANTAU_WRITE_CORPUS=1 go test -run TestJetstreamCorpus
// rewrites it.
const (
	corpusPath    = "testdata/bluesky/jetstream_corpus.jsonl.gz"
	corpusEvents  = 3000
	corpusMatches = 12
)

func genJetCorpus() [][]byte {
	rnd := rand.New(rand.NewPCG(7, 2026))
	const b32 = "234567abcdefghijklmnopqrstuvwxyz"
	str := func(n int, alphabet string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	// Active accounts post, like and follow again and again: drawing ids
	// from pools is closer to the real stream (and keeps the file small).
	pool := func(n int, mk func() string) func() string {
		p := make([]string, n)
		for i := range p {
			p[i] = mk()
		}
		return func() string { return p[rnd.IntN(n)] }
	}
	did := pool(600, func() string { return "did:plc:" + str(24, b32) })
	tid := pool(900, func() string { return "3m" + str(11, b32) })
	cid := pool(300, func() string { return "bafyrei" + str(52, b32) })
	texts := []struct{ lang, text string }{
		{"en", "just finished a 10k run and my legs are jelly. worth it though"},
		{"en", "hot take: the best debugging tool is still a good night's sleep"},
		{"ja", "今日は仕事が終わったら新しいラーメン屋に行ってみます。楽しみ！"},
		{"pt", "alguém sabe se o metrô volta a funcionar amanhã? preciso chegar cedo"},
		{"de", "Der Zug hatte schon wieder 40 Minuten Verspätung, typisch Montag"},
		{"es", "¿alguien más vio el eclipse anoche? fue increíble 🌒"},
		{"id", "macet parah di tol dalam kota, udah sejam gak gerak"},
		{"id", "akhirnya bisa mudik juga, kangen masakan ibu"},
		{"ko", "오늘 날씨 너무 좋아서 한강 가고 싶다"},
		{"fr", "je viens de finir ce livre et je ne sais pas quoi en penser"},
		{"en", "the express lane at the grocery store is never express 🙄"},
		{"en", "lightning storm tonight, my dog is hiding under the bed"},
		{"th", "วันนี้อากาศร้อนมาก อยากกินไอศกรีม"},
		{"en", "new blog post: why we moved our CI from YAML to plain shell scripts https://example.com/ci"},
	}
	matches := []struct{ lang, text string }{
		{"id", "Kilat Express paket gue nyasar ke kota lain, CS gak bisa dihubungi. kecewa bgt"},
		{"en", "Anyone else's Kilat Express parcel stuck in sorting for a week?"},
		{"id", "makasih #kilatexpress, paketnya sampai lebih cepat dari estimasi"},
		{"en", "@kilatcare.bsky.social my refund still hasn't arrived after 14 days"},
	}
	var out [][]byte
	base := int64(1783175888000000)
	nMatch := 0
	for i := 0; i < corpusEvents; i++ {
		us := base + int64(i)*2100
		var ev map[string]any
		r := rnd.Float64()
		switch {
		case i%(corpusEvents/corpusMatches) == corpusEvents/corpusMatches/2 && nMatch < corpusMatches:
			m := matches[nMatch%len(matches)]
			nMatch++
			ev = map[string]any{"did": did(), "time_us": us, "kind": "commit", "commit": map[string]any{
				"rev": tid(), "operation": "create", "collection": "app.bsky.feed.post", "rkey": tid(), "cid": cid(),
				"record": map[string]any{"$type": "app.bsky.feed.post", "createdAt": "2026-07-04T14:38:06.055Z", "langs": []string{m.lang}, "text": m.text}}}
		case r < 0.69:
			ev = map[string]any{"did": did(), "time_us": us, "kind": "commit", "commit": map[string]any{
				"rev": tid(), "operation": "create", "collection": "app.bsky.feed.like", "rkey": tid(), "cid": cid(),
				"record": map[string]any{"$type": "app.bsky.feed.like", "createdAt": "2026-07-04T14:38:06.055Z",
					"subject": map[string]string{"cid": cid(), "uri": "at://" + did() + "/app.bsky.feed.post/" + tid()}}}}
		case r < 0.80:
			t := texts[rnd.IntN(len(texts))]
			rec := map[string]any{"$type": "app.bsky.feed.post", "createdAt": "2026-07-04T14:38:06.055Z", "langs": []string{t.lang}, "text": t.text}
			if rnd.IntN(3) == 0 {
				parent := map[string]string{"cid": cid(), "uri": "at://" + did() + "/app.bsky.feed.post/" + tid()}
				rec["reply"] = map[string]any{"parent": parent, "root": parent}
			}
			if strings.Contains(t.text, "https://") {
				rec["facets"] = []any{map[string]any{"index": map[string]int{"byteStart": 60, "byteEnd": 82},
					"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/ci"}}}}
			}
			ev = map[string]any{"did": did(), "time_us": us, "kind": "commit", "commit": map[string]any{
				"rev": tid(), "operation": "create", "collection": "app.bsky.feed.post", "rkey": tid(), "cid": cid(), "record": rec}}
		case r < 0.90:
			ev = map[string]any{"did": did(), "time_us": us, "kind": "commit", "commit": map[string]any{
				"rev": tid(), "operation": "create", "collection": "app.bsky.feed.repost", "rkey": tid(), "cid": cid(),
				"record": map[string]any{"$type": "app.bsky.feed.repost", "createdAt": "2026-07-04T14:38:06.055Z",
					"subject": map[string]string{"cid": cid(), "uri": "at://" + did() + "/app.bsky.feed.post/" + tid()}}}}
		case r < 0.95:
			ev = map[string]any{"did": did(), "time_us": us, "kind": "commit", "commit": map[string]any{
				"rev": tid(), "operation": "create", "collection": "app.bsky.graph.follow", "rkey": tid(), "cid": cid(),
				"record": map[string]any{"$type": "app.bsky.graph.follow", "createdAt": "2026-07-04T14:38:06.055Z", "subject": did()}}}
		case r < 0.97:
			ev = map[string]any{"did": did(), "time_us": us, "kind": "commit", "commit": map[string]any{
				"rev": tid(), "operation": "delete", "collection": "app.bsky.feed.post", "rkey": tid()}}
		default:
			d := did()
			ev = map[string]any{"did": d, "time_us": us, "kind": "identity", "identity": map[string]any{"did": d, "seq": 31527015470 + i, "time": "2026-07-04T14:38:07.877Z"}}
		}
		b, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

func loadJetCorpus(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		tb.Fatalf("%v (regenerate with PANTAU_WRITE_CORPUS=1 go test -run TestJetstreamCorpus)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// jetTestCollector is a Bluesky collector whose brand DID is known without
// a network look-up, for filter tests and the benchmark.
func jetTestCollector(tb testing.TB) *Bluesky {
	tb.Helper()
	b, err := NewBluesky(SourceConfig{Name: "bsky", Kind: KindBluesky, Brand: "kilat"}, kilatBrand, newTestFetcher(newTestClock()))
	if err != nil {
		tb.Fatal(err)
	}
	b.brandDIDs[fakesource.BlueskyDemoBrandDID] = true
	return b
}

func TestJetstreamCorpus(t *testing.T) {
	if os.Getenv("PANTAU_WRITE_CORPUS") == "1" {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		for _, f := range genJetCorpus() {
			zw.Write(append(f, '\n'))
		}
		zw.Close()
		if err := os.MkdirAll(filepath.Dir(corpusPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	frames := loadJetCorpus(t)
	if len(frames) != corpusEvents {
		t.Fatalf("corpus has %d events, want %d", len(frames), corpusEvents)
	}
	b := jetTestCollector(t)
	f := b.newJetFilter()
	decoded, matched := 0, 0
	for _, fr := range frames {
		_, relevant, err := f.scan(fr)
		if err != nil {
			t.Fatal(err)
		}
		if !relevant {
			continue
		}
		decoded++
		ev, err := jetDecodeEvent(fr)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := b.eventMention(ev); ok {
			matched++
		}
	}
	if matched != corpusMatches {
		t.Errorf("matched %d, want %d", matched, corpusMatches)
	}
	// The prefilter must spare the decoder most of the firehose.
	if decoded > len(frames)/10 {
		t.Errorf("decoded %d of %d frames: the prefilter lets too much through", decoded, len(frames))
	}
}

// BenchmarkJetstreamFilter replays the corpus through what the stream does
// with each frame: the prefilter, and decoding and matching for what it
// lets through.
//
//	go test -run '^$' -bench JetstreamFilter -benchmem -cpu 1 ./collectors/
func BenchmarkJetstreamFilter(b *testing.B) {
	frames := loadJetCorpus(b)
	bs := jetTestCollector(b)
	f := bs.newJetFilter()
	var bytesTotal int64
	for _, fr := range frames {
		bytesTotal += int64(len(fr))
	}
	b.SetBytes(bytesTotal / int64(len(frames)))
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for i := 0; i < b.N; i++ {
		fr := frames[i%len(frames)]
		_, relevant, err := f.scan(fr)
		if err != nil {
			b.Fatal(err)
		}
		if !relevant {
			continue
		}
		ev, err := jetDecodeEvent(fr)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := bs.eventMention(ev); ok {
			matched++
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "events/s")
	}
	_ = matched
}

func TestJetstreamFrames(t *testing.T) {
	b := jetTestCollector(t)
	f := b.newJetFilter()
	lines := strings.Split(strings.TrimSpace(string(fixture(t, "bluesky/frames.jsonl"))), "\n")
	type want struct {
		relevant bool
		mention  bool
		byBrand  bool
		replyTo  string
		err      string
	}
	tests := map[string]struct {
		line int
		want want
	}{
		"verbatim reply, not about the brand": {0, want{}},
		"verbatim follow delete":              {1, want{}},
		"verbatim identity":                   {2, want{}},
		"verbatim account":                    {3, want{}},
		"brand name across a newline":         {4, want{relevant: true, mention: true}},
		"needle but no keyword":               {5, want{relevant: true}},
		"facet mention of the brand DID":      {6, want{relevant: true, mention: true}},
		"brand reply":                         {7, want{relevant: true, mention: true, byBrand: true, replyTo: "bluesky:at://did:plc:abc123abc123abc123abc123/app.bsky.feed.post/3mptc0000003a"}},
		"post delete":                         {8, want{}},
		"malformed record":                    {9, want{relevant: true, err: "malformed Jetstream event"}},
		"like of a brand post":                {10, want{}},
		"no time_us":                          {11, want{err: "no time_us"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fr := []byte(lines[tc.line])
			_, relevant, err := f.scan(fr)
			if err == nil && relevant {
				var ev *jetEvent
				if ev, err = jetDecodeEvent(fr); err == nil {
					mn, ok := b.eventMention(ev)
					if ok != tc.want.mention || mn.ByBrand != tc.want.byBrand || mn.ReplyTo != tc.want.replyTo {
						t.Errorf("mention %v = %+v", ok, mn)
					}
				}
			}
			if tc.want.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.err) {
					t.Errorf("err = %v, want %q", err, tc.want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The like names the brand's DID in its subject: the prefilter
			// lets it through, the decoder drops it.
			if relevant != tc.want.relevant && tc.line != 10 {
				t.Errorf("relevant = %v", relevant)
			}
		})
	}
	// A future createdAt is clamped to the event's time.
	ev, _ := jetDecodeEvent([]byte(lines[6]))
	mn, _ := b.eventMention(ev)
	if !mn.CreatedAt.Equal(time.UnixMicro(1783175888400003).UTC()) || mn.Lang != "id" || mn.URL != "https://bsky.app/profile/did:plc:abc123abc123abc123abc123/post/3mptc0000003a" {
		t.Errorf("mention = %+v", mn)
	}
}

func bskyConfig(srvURL, identifier, password string) SourceConfig {
	bc := &BlueskyConfig{Jetstream: "ws" + strings.TrimPrefix(srvURL, "http") + "/subscribe", AppView: srvURL, PDS: srvURL, Identifier: identifier}
	if password != "" {
		bc.AppPassword = secret.New(password)
	}
	return SourceConfig{Name: "bsky", Kind: KindBluesky, Brand: "kilat", Bluesky: bc}
}

func newTestBluesky(t *testing.T, cfg SourceConfig, f *Fetcher) *Bluesky {
	t.Helper()
	b, err := NewBluesky(cfg, kilatBrand, f)
	if err != nil {
		t.Fatal(err)
	}
	b.tick, b.cursorTicks = 3*time.Millisecond, 2
	return b
}

func kilatPost(n int, at time.Duration) fakesource.BlueskyPost {
	return fakesource.BlueskyPost{DID: fmt.Sprintf("did:plc:cust%020d", n%7), Handle: fmt.Sprintf("cust%d.bsky.social", n%7), Followers: int64(100 + n),
		RKey: fmt.Sprintf("3kpost%07d", n), Text: fmt.Sprintf("Kilat Express paket nomor %d belum sampai", n), Langs: []string{"id"}, At: at}
}

func chatterPost(n int, at time.Duration) fakesource.BlueskyPost {
	return fakesource.BlueskyPost{DID: fmt.Sprintf("did:plc:chat%020d", n%11), Handle: "someone.bsky.social",
		RKey: fmt.Sprintf("3kchat%07d", n), Text: "the express bus was late, kilat everywhere", Langs: []string{"en"}, At: at}
}

func cursorTimeUS(s string) int64 { return parseJetCursor(s).TimeUS }

// The socket is cut mid-stream; the next run resumes from the stored
// cursor, rewound 5 s, and the replayed events are not emitted again:
// no gap, no duplicate. Then a new process (a new collector) resumes from
// the stored cursor, and the rewind window's URIs carried in the cursor
// keep it from repeating them too.
func TestJetstreamResumeAfterCut(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.NewBlueskyServer(clk.Now)
	var want []string
	for i := 0; i < 60; i++ {
		p := kilatPost(i, time.Duration(i)*100*time.Millisecond)
		fake.Add(p, chatterPost(i, time.Duration(i)*100*time.Millisecond+50*time.Millisecond))
		fake.AddRaw(time.Duration(i)*100*time.Millisecond+70*time.Millisecond, "app.bsky.feed.like", func(us int64) string {
			return fmt.Sprintf(`{"did":"did:plc:liker","time_us":%d,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.like","rkey":"l%d","record":{"$type":"app.bsky.feed.like"}}}`, us, us)
		})
		want = append(want, p.URI())
	}
	srv := startFake(t, fake)
	clk.Advance(10 * time.Second) // everything is out
	start := clk.Now().Add(-10 * time.Second)
	fake.CutAfter(70) // the first connection drops part way

	b := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))
	r := &streamRun{cursor: jetCursor{TimeUS: start.UnixMicro() - 1}.encode()}
	runStreamUntil(t, b, r, 10, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return cursorTimeUS(r.cursor) > start.Add(5900*time.Millisecond).UnixMicro() && len(r.batches) > 0
	})
	if r.runs < 2 {
		t.Fatalf("the stream was not cut: %d runs", r.runs)
	}
	got := map[string]int{}
	for _, mn := range r.mentions() {
		got[mn.NativeID]++
	}
	for _, u := range want {
		if got[u] != 1 {
			t.Errorf("%s emitted %d times", u, got[u])
		}
	}
	if len(got) != len(want) {
		t.Errorf("emitted %d distinct mentions, want %d", len(got), len(want))
	}
	// The chatter ("express ... kilat" in the wrong order) went through the
	// prefilter but is no mention.
	for u := range got {
		if strings.Contains(u, "3kchat") {
			t.Errorf("chatter emitted: %s", u)
		}
	}

	// A restart: a new collector from the stored cursor. One more post
	// comes out later; it alone is emitted.
	late := kilatPost(99, 20*time.Second)
	fake.Add(late)
	b2 := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))
	r2 := &streamRun{cursor: r.cursor}
	runStreamUntil(t, b2, r2, 3, func() bool {
		if len(r2.mentions()) == 0 {
			clk.Advance(time.Second)
		}
		return len(r2.mentions()) > 0
	})
	if ms := r2.mentions(); len(ms) != 1 || ms[0].NativeID != late.URI() {
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.NativeID)
		}
		t.Errorf("after restart emitted %v, want only %s", ids, late.URI())
	}
}

// A malformed frame and an oversized one are skipped with a clear error;
// the connection stays up and the posts after them arrive.
func TestJetstreamBadFramesKeepTheStream(t *testing.T) {
	clk := newTestClock()
	fake := fakesource.NewBlueskyServer(clk.Now, kilatPost(1, time.Second))
	fake.AddRaw(2*time.Second, "app.bsky.feed.post", func(us int64) string {
		return fmt.Sprintf(`{"did":"did:plc:x","time_us":%d,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3bad","record":{"text":{"kilat express":1}}}}`, us)
	})
	fake.AddRaw(3*time.Second, "app.bsky.feed.post", func(us int64) string {
		return fmt.Sprintf(`{"did":"did:plc:x","time_us":%d,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3big","record":{"text":"Kilat Express %s"}}}`, us, strings.Repeat("spam ", 60<<10))
	})
	fake.Add(kilatPost(2, 4*time.Second))
	srv := startFake(t, fake)
	b := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))
	r := &streamRun{cursor: jetCursor{TimeUS: clk.Now().UnixMicro() - 1}.encode()}
	clk.Advance(5 * time.Second)
	runStreamUntil(t, b, r, 1, func() bool { return len(r.mentions()) == 2 })
	probs := b.takeProblems()
	joined := fmt.Sprint(probs)
	if !strings.Contains(joined, "malformed Jetstream event") || !strings.Contains(joined, "skipped: over the 256 KiB limit") {
		t.Errorf("problems = %v", probs)
	}
	if r.runs != 1 {
		t.Errorf("the stream reconnected %d times", r.runs-1)
	}
}

// A brand reply on the firehose marks the customer's post answered, also
// when it answers a follow-up Pantau did not store (the thread's root
// then takes the answer).
func TestJetstreamBrandReplies(t *testing.T) {
	clk := newTestClock()
	complaint := kilatPost(1, time.Second)
	followUp := fakesource.BlueskyPost{DID: complaint.DID, Handle: complaint.Handle, RKey: "3kfollow0001", Text: "min?? masih belum ada kabar",
		ReplyParent: complaint.URI(), At: 2 * time.Second}
	brand := fakesource.BlueskyPost{DID: fakesource.BlueskyDemoBrandDID, Handle: fakesource.BlueskyDemoBrandHandle, DisplayName: "Kilat Express Care",
		Followers: 15300, RKey: "3kbrand00001", Text: "Mohon maaf kak, sudah kami cek ya", ReplyParent: followUp.URI(), ReplyRoot: complaint.URI(), At: 3 * time.Second}
	fake := fakesource.NewBlueskyServer(clk.Now, complaint, followUp, brand)
	srv := startFake(t, fake)
	b := newTestBluesky(t, bskyConfig(srv.URL, "", ""), newTestFetcher(clk))
	st := openStore(t, clk)
	r := &streamRun{cursor: jetCursor{TimeUS: clk.Now().UnixMicro() - 1}.encode()}
	clk.Advance(4 * time.Second)
	runStreamUntil(t, b, r, 1, func() bool { return len(r.mentions()) == 2 })
	for _, batch := range r.batches {
		if _, err := st.Ingest(batch); err != nil {
			t.Fatal(err)
		}
	}
	reply, ok, _ := st.Mention("bluesky:" + brand.URI())
	if !ok || !reply.ByBrand || reply.ReplyTo != "bluesky:"+complaint.URI() || reply.Author.Handle != fakesource.BlueskyDemoBrandHandle {
		t.Errorf("brand reply = %+v", reply)
	}
	c, _, _ := st.Mention("bluesky:" + complaint.URI())
	if c.AnsweredAt == nil || c.Author.Handle != complaint.Handle || c.Author.Followers == nil || *c.Author.Followers != complaint.Followers {
		t.Errorf("complaint = %+v", c)
	}
}

func startFake(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
