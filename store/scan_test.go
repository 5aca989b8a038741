package store

import (
	"errors"
	"testing"
	"time"
)

func TestScanMentionsSeenIsHalfOpenAndStopsOnError(t *testing.T) {
	c := newClock()
	st, _ := openTest(t, c)
	t0 := c.Now()
	for i, id := range []string{"a", "b", "c", "d"} {
		at := t0.Add(time.Duration(i) * time.Hour)
		if _, err := st.Ingest(Batch{Source: "s", Kind: "rss", At: at, Mentions: []Mention{mention(id, "x")}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	// [t0+1h, t0+3h): b and c; d is at the end and outside.
	err := st.ScanMentionsSeen(t0.Add(time.Hour), t0.Add(3*time.Hour), func(m *Mention) error {
		got = append(got, m.NativeID)
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("scan = %v, %v", got, err)
	}
	stop := errors.New("stop")
	n := 0
	err = st.ScanMentionsSeen(t0, t0.Add(24*time.Hour), func(*Mention) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("error did not stop the scan: %v after %d", err, n)
	}
}
