package ui

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

// The agents' queue: the customers' mentions that still wait for someone,
// most urgent first.

const (
	maxQueueLimit     = 500
	defaultQueueLimit = 200
	// maxQueueScan bounds how many of the newest mentions one queue
	// request reads. Open mentions are recent by nature (the sweep stops
	// their clocks after its window); the answer says when it stopped
	// early, so the bound is never silent.
	maxQueueScan = 50000
)

// Queue states a request may ask for. "open" (the default) is the queue
// itself; the others narrow it or look at what was settled.
var queueStates = []string{"open", "unassigned", "assigned", "overdue", "answered", "private", "resolved", "no_reply_needed", "settled", "all"}

// replyState is where a customer's mention stands, with the same rules as
// the alerting pipeline's idea of "settled": an agent's handling wins,
// then the brand's public answer, then the scorer's own judgement
// (a post that needs no reply). A mention in a language the scorer cannot
// read has no clock, but a person still has to look at it, so it stays
// open here.
func replyState(m *store.Mention) store.ReplyState {
	if m.Handling != "" {
		return m.Handling
	}
	if m.AnsweredAt != nil {
		return store.ReplyAnswered
	}
	if m.Score != nil {
		switch m.Score.ReplyState {
		case store.ReplyAnswered, store.ReplyPrivate, store.ReplyResolved, store.ReplyNotNeeded:
			return m.Score.ReplyState
		}
	}
	return store.ReplyNew
}

// queueMatch reports whether a customer's mention is in the queue state.
func queueMatch(m *store.Mention, state string) bool {
	rs := replyState(m)
	open := rs == store.ReplyNew
	switch state {
	case "open":
		return open
	case "unassigned":
		return open && m.AssignedTo == ""
	case "assigned":
		return open && m.AssignedTo != ""
	case "overdue":
		return open && m.Score != nil && m.Score.Overdue > 0
	case "settled":
		return !open
	case "all":
		return true
	}
	return string(rs) == state
}

// queuePriority is the score's priority; unscored mentions come last.
func queuePriority(m *store.Mention) float64 {
	if m.Score == nil {
		return -1
	}
	return m.Score.Priority
}

func newest(m *store.Mention) time.Time {
	if !m.CreatedAt.IsZero() {
		return m.CreatedAt
	}
	return m.SeenAt
}

// sortQueue orders by priority, highest first, then newest first, then by
// key so that equal mentions keep a stable order between requests.
func sortQueue(ms []store.Mention) {
	slices.SortFunc(ms, func(a, b store.Mention) int {
		if c := cmp.Compare(queuePriority(&b), queuePriority(&a)); c != 0 {
			return c
		}
		if c := newest(&b).Compare(newest(&a)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// listQueue answers GET /api/queue: customers' mentions (never the brand's
// own posts) in a queue state (default open), with the filters of
// /api/mentions plus state, min_severity (1 to 4) and q (text search in
// the title, text and author), ordered by priority then newest. limit is
// 1 to 500 (default 200). total counts every match, truncated says the
// scan stopped at its bound before the oldest mention.
func (s *Server) listQueue(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "source", "kind", "brand", "lang", "min_complaint", "min_severity", "state", "q", "limit")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := mentionFilters(p)
	minSev := p.intRange("min_severity", 0, 0, 4)
	limit := p.intRange("limit", defaultQueueLimit, 1, maxQueueLimit)
	state := p.str("state")
	if state == "" {
		state = "open"
	}
	if !slices.Contains(queueStates, state) {
		p.fail("state", "must be one of %s", strings.Join(queueStates, ", "))
	}
	text := strings.ToLower(strings.TrimSpace(p.str("q")))
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	seq, err := s.st.LastSeq()
	if err != nil {
		s.internalError(w, r, "read last event", err)
		return
	}
	var out []store.Mention
	scanned, truncated := 0, false
	page := q
	page.Limit = 1000
	for {
		ms, err := s.st.Mentions(page)
		if err != nil {
			s.internalError(w, r, "list mentions", err)
			return
		}
		for i := range ms {
			m := &ms[i]
			if m.ByBrand || !queueMatch(m, state) {
				continue
			}
			// Search what the agent sees: masked personal data must not be
			// findable by guessing it.
			maskMention(m)
			if !textMatch(m, text) {
				continue
			}
			if minSev > 0 && (m.Score == nil || !m.Score.Scored || m.Score.Severity < minSev) {
				continue
			}
			out = append(out, *m)
		}
		// Filters make pages short, so the scan counts what it read
		// through the positions, not the matches.
		if len(ms) == 0 {
			break
		}
		scanned += len(ms)
		last := ms[len(ms)-1]
		page.Before, page.BeforeKey = last.SeenAt, last.Key
		if scanned >= maxQueueScan {
			more, err := s.st.Mentions(store.MentionQuery{Before: page.Before, BeforeKey: page.BeforeKey, Limit: 1})
			if err != nil {
				s.internalError(w, r, "list mentions", err)
				return
			}
			truncated = len(more) > 0
			break
		}
	}
	sortQueue(out)
	total := len(out)
	if len(out) > limit {
		out = out[:limit]
	}
	writeJSON(w, http.StatusOK, struct {
		Seq       uint64          `json:"seq"`
		State     string          `json:"state"`
		Total     int             `json:"total"`
		Truncated bool            `json:"truncated"`
		Mentions  []store.Mention `json:"mentions"`
	}{seq, state, total, truncated, nonNil(out)})
}

// textMatch is the queue's full-text search: lower-case substring in the
// title, the text and the author's names.
func textMatch(m *store.Mention, q string) bool {
	if q == "" {
		return true
	}
	for _, s := range []string{m.Title, m.Text, m.Author.Handle, m.Author.DisplayName} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}
