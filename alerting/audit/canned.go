package audit

import "sync"

// maxCannedAfter bounds Config.CannedAfter: each remembered reply keeps the
// recipients it went to, up to this many.
const maxCannedAfter = 16

// cannedMemory remembers recently seen replies (by the hash of their
// normalised words) and to how many distinct recipients each went. It is
// a fixed-size LRU: memory stays bounded however many replies flow through,
// and a template stops counting as "recent" once enough other replies have
// pushed it out.
type cannedMemory struct {
	mu   sync.Mutex
	size int
	idx  map[uint64]int32
	ents []centry
	head int32 // most recently used, -1 when empty
	tail int32 // least recently used
}

type centry struct {
	key        uint64
	recips     [maxCannedAfter]uint64
	n          int // distinct recipients seen
	prev, next int32
}

func newCannedMemory(size int) *cannedMemory {
	return &cannedMemory{size: size, idx: make(map[uint64]int32, size), head: -1, tail: -1}
}

// observe records that the reply with hash key went to recipient (0: not
// known, so every call counts as a new recipient) and returns how many
// distinct recipients it has gone to. Seeing the same reply to the same
// recipient again (the sweep re-auditing it) does not count twice.
func (m *cannedMemory) observe(key, recipient uint64) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.idx[key]
	if !ok {
		if len(m.ents) < m.size {
			m.ents = append(m.ents, centry{})
			i = int32(len(m.ents) - 1)
		} else {
			i = m.tail
			m.unlink(i)
			delete(m.idx, m.ents[i].key)
		}
		m.ents[i] = centry{key: key, prev: -1, next: -1}
		m.idx[key] = i
	} else {
		m.unlink(i)
	}
	m.pushFront(i)
	e := &m.ents[i]
	if recipient != 0 {
		stored := min(e.n, maxCannedAfter)
		for _, r := range e.recips[:stored] {
			if r == recipient {
				return e.n
			}
		}
		if stored < maxCannedAfter {
			e.recips[stored] = recipient
		}
	}
	e.n++
	return e.n
}

func (m *cannedMemory) unlink(i int32) {
	e := &m.ents[i]
	if e.prev >= 0 {
		m.ents[e.prev].next = e.next
	} else {
		m.head = e.next
	}
	if e.next >= 0 {
		m.ents[e.next].prev = e.prev
	} else {
		m.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

func (m *cannedMemory) pushFront(i int32) {
	e := &m.ents[i]
	e.prev, e.next = -1, m.head
	if m.head >= 0 {
		m.ents[m.head].prev = i
	}
	m.head = i
	if m.tail < 0 {
		m.tail = i
	}
}
