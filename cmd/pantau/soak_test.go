package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// A short soak end to end: the daemon binary, a fake source, a few
// dashboards; it passes, and says what it measured.
func TestSoakShortRun(t *testing.T) {
	bin := buildPantau(t)
	var out, errs bytes.Buffer
	err := cmdSoak(context.Background(), []string{"-bin", bin, "-duration", "4s", "-rate", "40", "-sources", "2",
		"-clients", "3", "-report", "2s", "-drain", "60s", "-data", t.TempDir()}, &out, &errs)
	if err != nil {
		t.Fatalf("soak: %v\n%s\n%s", err, out.String(), errs.String())
	}
	for _, want := range []string{"heap_inuse=", "rss=", "commit->ws p50=", "soak passed:", "every client got each exactly once"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The soak client's quick read of a frame gives what decoding it does,
// and falls back to decoding for frames it cannot read quickly.
func TestParseSoakEvent(t *testing.T) {
	at := time.Date(2026, 11, 22, 17, 0, 0, 123456789, time.UTC)
	for _, ev := range []store.Event{
		{Seq: 7, Type: store.EventMentionNew, At: at, Data: json.RawMessage(`{"key":"rss:abc","kind":"rss","text":"\"key\":\"x\""}`)},
		{Seq: 8, Type: store.EventMentionNew, At: at, Data: json.RawMessage(`{"key":"rss:a\"b","kind":"rss"}`)},
		{Seq: 9, Type: store.EventAlert, At: at, Data: json.RawMessage(`{"id":"complaint|rss:abc"}`)},
		{Seq: 10, Type: store.EventMentionNew, At: at, Data: json.RawMessage(`{"kind":"rss","key":"rss:late"}`)},
	} {
		frame, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var want soakEvent
		if err := json.Unmarshal(frame, &want); err != nil {
			t.Fatal(err)
		}
		got, ok := parseSoakEvent(frame)
		if want.Type != store.EventMentionNew {
			want.At = time.Time{} // only new mentions are timed
		}
		if !ok || got.Seq != want.Seq || got.Type != want.Type || !got.At.Equal(want.At) || got.Data.Key != want.Data.Key {
			t.Errorf("%s: %+v %v, want %+v", frame, got, ok, want)
		}
	}
	if _, ok := parseSoakEvent([]byte(`{"seq":1,"type":"x"`)); ok {
		t.Error("a broken frame was read")
	}
}

// The soak's set of seen mentions tells new keys from repeats, its own
// compact keys and any others alike.
func TestMentionSet(t *testing.T) {
	var s mentionSet
	for _, k := range []string{"rss:soak0-0000000", "rss:soak3-0074999", "rss:soak0-0000063", "rss:soak0-0000064", "rss:other", "rss:soak1-12", "rss:soakx-0000001"} {
		if !s.add(k) {
			t.Errorf("%s: first time reported as seen", k)
		}
		if s.add(k) {
			t.Errorf("%s: second time reported as new", k)
		}
	}
	if s.add("rss:soak0-0000001") == false {
		t.Error("a neighbour of a seen key reported as seen")
	}
}
