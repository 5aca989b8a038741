package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

func mentionEvent(t *testing.T, seq uint64, text string, pii []store.Span) store.Event {
	t.Helper()
	m := store.Mention{Key: fmt.Sprintf("rss:%d", seq), Title: "call me 0812-3456-7890", Text: text,
		Score: &store.Score{PII: pii}}
	data, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	return store.Event{Seq: seq, Type: "mention.new", At: time.Unix(int64(seq), 0).UTC(), Data: data}
}

// The cache gives the same events and frames as masking and encoding
// each time, from many goroutines at once, and never answers a changed
// event (same seq, other content) from its entry.
func TestFrameCacheMatchesMaskingEachTime(t *testing.T) {
	text := "paket blm nyampe, hp saya 0812-3456-7890"
	pii := []store.Span{{Kind: "phone", Start: 26, End: 40}}
	var evs []store.Event
	for i := range uint64(40) {
		evs = append(evs, mentionEvent(t, i+1, text, pii))
	}
	evs = append(evs, store.Event{Seq: 41, Type: "alert.opened", At: time.Unix(41, 0).UTC(), Data: json.RawMessage(`{"id":"a"}`)})
	want := maskEvents(slices.Clone(evs))
	c := newFrameCache(16) // smaller than the events: slots are reused
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 3 {
				got := slices.Clone(evs)
				c.mask(got)
				for i := range got {
					if got[i].Seq != want[i].Seq || string(got[i].Data) != string(want[i].Data) {
						t.Errorf("event %d: %s, want %s", got[i].Seq, got[i].Data, want[i].Data)
						return
					}
					f := c.frame(&got[i])
					w, _ := json.Marshal(want[i])
					if string(f) != string(w) {
						t.Errorf("frame %d: %s, want %s", got[i].Seq, f, w)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if string(want[0].Data) == string(evs[0].Data) {
		t.Fatal("the test's mention has nothing to mask")
	}

	// A different event under a cached seq (a store restored under the
	// hub) is masked and encoded afresh.
	other := []store.Event{mentionEvent(t, 40, "semua aman, terima kasih", nil)}
	c.mask(other)
	f := c.frame(&other[0])
	w, _ := json.Marshal(maskEvents([]store.Event{mentionEvent(t, 40, "semua aman, terima kasih", nil)})[0])
	if string(f) != string(w) {
		t.Fatalf("changed event: %s, want %s", f, w)
	}
}

// A frame is byte for byte what encoding/json makes of the event, for the
// shapes the store writes and for odd ones.
func TestEncodeFrameMatchesEncodingJSON(t *testing.T) {
	data, _ := json.Marshal(map[string]string{"text": "<b>kecewa</b> & \"marah\" \u2028 😡"})
	for _, e := range []store.Event{
		{Seq: 1, Type: "mention.new", At: time.Date(2026, 11, 22, 18, 0, 0, 123456789, time.UTC), Data: data},
		{Seq: 1 << 60, Type: "alert", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("WIB", 7*3600)), Data: json.RawMessage(`{"id":"a"}`)},
		{Seq: 7, Type: `odd "type" <x>\é`, At: time.Unix(0, 0).UTC(), Data: json.RawMessage(`[1,2]`)},
		{Seq: 8, Type: "audit"},
	} {
		want, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		got, at := encodeFrame(&e)
		if string(got) != string(want) {
			t.Errorf("frame\n got %s\nwant %s", got, want)
		}
		if len(e.Data) > 0 && string(got[at:len(got)-1]) != string(e.Data) {
			t.Errorf("data at %d is %s", at, got[at:len(got)-1])
		}
	}
}
