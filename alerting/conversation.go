package alerting

import (
	"time"

	"github.com/pantau/pantau/store"
)

// A thread is a conversation between customers and the brand. For one
// customer post it says three things the post alone cannot:
//
//   - whether the brand has answered the customer. A brand post answers m
//     when it replies to m, or replies after m to another post by m's
//     author in the thread (the brand answering a follow-up answers the
//     whole conversation). The store's AnsweredAt (a direct reply) counts
//     too.
//   - whether the answer moved the conversation to a private channel,
//     which damps virality.
//   - whether the author followed up while unanswered ("min??"): the
//     author's first post in the thread then escalates, and the follow-up
//     itself leaves the queue to it, so an agent sees one item per
//     conversation.

// sameAuthor reports whether a and b were written by the same account.
// Handles are per platform, and an unknown author matches nobody.
func sameAuthor(a, b *store.Mention) bool {
	return a.Author.Handle != "" && a.Author.Handle == b.Author.Handle && a.Kind == b.Kind
}

// answers reports whether brand post b answers customer post m.
func answers(b, m *store.Mention, byKey map[string]*store.Mention) bool {
	if !b.ByBrand {
		return false
	}
	if b.ReplyTo == m.Key {
		return true
	}
	parent := byKey[b.ReplyTo]
	return parent != nil && sameAuthor(parent, m) && b.CreatedAt.After(m.CreatedAt)
}

// conversation is what the thread says about one customer post.
type conversation struct {
	// answered is set when the brand answered; by is who, at is when.
	answered bool
	by       string
	at       time.Time
	// private is set when an answer moved the conversation to a private
	// channel (DM, e-mail, WhatsApp).
	private bool
	// followUps are the author's later nudges while m is unanswered; only
	// for the author's first post in the thread.
	followUps []*store.Mention
	// first is the author's earlier, still unanswered post when m itself
	// is a follow-up of it.
	first *store.Mention
}

// converse reads m's thread (which may include m itself, and is empty when
// the thread is not known). a is m's own analysis; analyze reads the text
// of other posts in the thread.
func converse(m *store.Mention, a *Analysis, thread []store.Mention, analyze func(*store.Mention) Analysis) conversation {
	var c conversation
	if m.AnsweredAt != nil {
		c.answered, c.by, c.at = true, m.AnsweredBy, *m.AnsweredAt
	}
	if len(thread) == 0 || (len(thread) == 1 && thread[0].Key == m.Key) {
		return c
	}
	byKey := make(map[string]*store.Mention, len(thread))
	for i := range thread {
		byKey[thread[i].Key] = &thread[i]
	}
	first := m
	for i := range thread {
		t := &thread[i]
		if t.Key == m.Key {
			continue
		}
		if answers(t, m, byKey) {
			if !c.answered || t.CreatedAt.Before(c.at) {
				c.answered, c.by, c.at = true, t.Author.Handle, t.CreatedAt
			}
			if !c.private && analyze(t).Private {
				c.private = true
			}
		}
		if !t.ByBrand && sameAuthor(t, m) && t.CreatedAt.Before(first.CreatedAt) {
			first = t
		}
	}
	switch {
	case first != m:
		// m follows an earlier post of its author. It is a follow-up of
		// that post if it nudges and nothing answered the author between.
		if a.FollowUp && !answeredBetween(first, m.CreatedAt, thread, byKey) {
			c.first = first
		}
	case !c.answered:
		for i := range thread {
			t := &thread[i]
			if t.Key != m.Key && !t.ByBrand && sameAuthor(t, m) && t.CreatedAt.After(m.CreatedAt) && analyze(t).FollowUp {
				c.followUps = append(c.followUps, t)
			}
		}
	}
	return c
}

// answeredBetween reports whether a brand post answered first's author
// after first and up to until.
func answeredBetween(first *store.Mention, until time.Time, thread []store.Mention, byKey map[string]*store.Mention) bool {
	for i := range thread {
		t := &thread[i]
		if !t.CreatedAt.After(until) && answers(t, first, byKey) {
			return true
		}
	}
	return false
}
