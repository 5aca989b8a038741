package ui

import (
	"encoding/json"
	"hash/maphash"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/pantau/pantau/store"
)

// frameCacheSize is how many recent events keep their masked, encoded
// frame: about 8 s of a store taking 1,000 mentions a second (two events
// each), the range that reconnecting and lagging clients read again and
// again. An entry holds one frame (the event's data once, plus ~80 bytes),
// so a full cache of 1.5 KB mentions is about 25 MB.
const frameCacheSize = 16384

// frameCache remembers, for recent events, the websocket frame of the
// event with personal data masked, so that work is done once per event
// rather than once per client. In the soak (issue 8: 200 dashboards, 1,000
// mentions/s) every client catching up from the store decoded, masked and
// re-encoded each mention event itself: that was 70% of the daemon's CPU.
//
// An entry is used only when the stored event is the one it was made from
// (same seq, type, time and a hash of the data), so a store that changed
// under the hub (a restore) is never answered from stale entries. Safe for
// concurrent use: each client's writer catches up on its own goroutine.
type frameCache struct {
	seed  maphash.Seed
	mu    sync.Mutex
	slots []cachedFrame // by seq modulo the size
}

type cachedFrame struct {
	seq uint64
	typ string
	at  time.Time
	sum uint64 // maphash of the data as stored
	// frame is the event as sent, personal data masked; the masked data
	// is frame[dataAt:len(frame)-1].
	frame  []byte
	dataAt int
}

func newFrameCache(size int) *frameCache {
	return &frameCache{seed: maphash.MakeSeed(), slots: make([]cachedFrame, size)}
}

// lookup replaces e's data by the cached masked data and reports true
// when e's frame is cached; sum is the hash of e's stored data.
func (c *frameCache) lookup(e *store.Event) (hit bool, sum uint64) {
	sum = maphash.Bytes(c.seed, e.Data)
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.slots[e.Seq%uint64(len(c.slots))]
	if s.seq == e.Seq && s.seq != 0 && s.sum == sum && s.typ == e.Type && s.at.Equal(e.At) {
		e.Data = s.frame[s.dataAt : len(s.frame)-1]
		return true, sum
	}
	return false, sum
}

// mask replaces each of evs by its masked version, as maskEvents does, and
// makes its frame, for the events not seen before. The masked data shares
// memory with the cached frame, which frame recognises.
func (c *frameCache) mask(evs []store.Event) {
	for i := range evs {
		e := &evs[i]
		hit, sum := c.lookup(e)
		if hit {
			continue
		}
		maskEvents(evs[i : i+1])
		frame, dataAt := encodeFrame(e)
		e.Data = frame[dataAt : len(frame)-1]
		c.mu.Lock()
		c.slots[e.Seq%uint64(len(c.slots))] = cachedFrame{seq: e.Seq, typ: e.Type, at: e.At, sum: sum, frame: frame, dataAt: dataAt}
		c.mu.Unlock()
	}
}

// frame returns the websocket frame of a masked event (from mask): the
// cached one when e's data is the cached frame's, else a new encoding.
func (c *frameCache) frame(e *store.Event) []byte {
	c.mu.Lock()
	s := &c.slots[e.Seq%uint64(len(c.slots))]
	if s.seq == e.Seq && len(e.Data) > 0 && len(e.Data) == len(s.frame)-1-s.dataAt &&
		unsafe.SliceData(e.Data) == unsafe.SliceData(s.frame[s.dataAt:]) {
		f := s.frame
		c.mu.Unlock()
		return f
	}
	c.mu.Unlock()
	f, _ := encodeFrame(e)
	return f
}

// encodeFrame writes e as encoding/json would,
// {"seq":N,"type":"...","at":"...","data":...}, byte for byte, and returns
// where the data starts. It copies the data rather than re-encoding it:
// the store's event data was written by encoding/json (compact, HTML
// characters escaped), and compacting 1.5 KB again per event and client
// was a third of the daemon's CPU in the soak.
func encodeFrame(e *store.Event) (frame []byte, dataAt int) {
	b := make([]byte, 0, len(e.Data)+len(e.Type)+72)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"at":"`...)
	b = e.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	dataAt = len(b)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	return append(b, '}'), dataAt
}

// appendJSONString appends s as a JSON string. Event types are short ASCII
// names; anything else takes the general path.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendQuotedJSON(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendQuotedJSON(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
