package ui

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/pantau/pantau/store"
)

// frameCacheSize is how many recent events keep their masked, encoded
// frame: a few seconds of a busy store, the range that reconnecting and
// catching-up clients read again and again.
const frameCacheSize = 8192

// frameCache remembers, for recent events, the event with personal data
// masked and its websocket frame, so the work is done once per event
// rather than once per client. In the soak (issue 8: 200 dashboards, 1,000
// mentions/s) every client catching up from the store decoded, masked and
// re-encoded each mention event itself: that was 40% of the daemon's CPU.
//
// An entry is used only when the stored event is byte for byte the one it
// was made from, so a store that changed under the hub (a restore) can
// never be answered from stale entries. Safe for concurrent use: each
// client's writer catches up on its own goroutine.
type frameCache struct {
	mu    sync.Mutex
	slots []cachedFrame // by seq modulo the size
}

type cachedFrame struct {
	seq    uint64
	raw    json.RawMessage // the event's data as stored
	masked store.Event     // as sent: personal data masked
	frame  []byte          // nil until encoded
}

func newFrameCache(size int) *frameCache {
	return &frameCache{slots: make([]cachedFrame, size)}
}

// slot returns the entry for e, if it was made from this very event.
// Call with c.mu held.
func (c *frameCache) slot(e *store.Event) *cachedFrame {
	s := &c.slots[e.Seq%uint64(len(c.slots))]
	if s.seq != e.Seq || s.seq == 0 || s.masked.Type != e.Type || !s.masked.At.Equal(e.At) || !bytes.Equal(s.raw, e.Data) {
		return nil
	}
	return s
}

// mask replaces each of evs by its masked version, as maskEvents does,
// masking only the events not seen before.
func (c *frameCache) mask(evs []store.Event) {
	for i := range evs {
		e := &evs[i]
		c.mu.Lock()
		s := c.slot(e)
		if s != nil {
			*e = s.masked
		}
		c.mu.Unlock()
		if s != nil {
			continue
		}
		raw := e.Data
		maskEvents(evs[i : i+1])
		c.mu.Lock()
		c.slots[e.Seq%uint64(len(c.slots))] = cachedFrame{seq: e.Seq, raw: raw, masked: *e}
		c.mu.Unlock()
	}
}

// frame returns the websocket frame of a masked event (from mask).
func (c *frameCache) frame(e *store.Event) ([]byte, error) {
	c.mu.Lock()
	s := &c.slots[e.Seq%uint64(len(c.slots))]
	if s.seq == e.Seq && s.frame != nil && s.masked.Type == e.Type && s.masked.At.Equal(e.At) && bytes.Equal(s.masked.Data, e.Data) {
		f := s.frame
		c.mu.Unlock()
		return f, nil
	}
	c.mu.Unlock()
	f, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if s.seq == e.Seq && s.masked.Type == e.Type && s.masked.At.Equal(e.At) && bytes.Equal(s.masked.Data, e.Data) {
		s.frame = f
	}
	c.mu.Unlock()
	return f, nil
}
