package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/alerting/textmodel"
	"github.com/pantau/pantau/store"
)

const (
	idComplaint = "udh 3 hari paket blm nyampe, kecewa bgt min"
	enComplaint = "my parcel arrived damaged and the box was soaking wet, really disappointed"
)

func newScorer(t testing.TB, cfg ScoringConfig) *ComposedScorer {
	t.Helper()
	s, err := NewScorer(cfg, NewTextScorer(), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// post is a customer post on mastodon at t0+offset.
func post(id, author, text string, offset time.Duration) store.Mention {
	return store.Mention{Key: "mastodon:" + id, Kind: "mastodon", Source: "masto", NativeID: id, Brand: "acme",
		Author: store.Author{Handle: author}, Text: text, CreatedAt: t0.Add(offset), SeenAt: t0.Add(offset)}
}

func reply(id, author, text, to string, offset time.Duration, brand bool) store.Mention {
	m := post(id, author, text, offset)
	m.ReplyTo, m.ByBrand = to, brand
	return m
}

func reposts(at time.Duration, n int64) store.Sample {
	return store.Sample{At: t0.Add(at), Reposts: ptr(n)}
}

func wantReasons(t *testing.T, got store.Score, want, none []string) {
	t.Helper()
	for _, w := range want {
		if !hasReason(got.Reasons, w) {
			t.Errorf("no reason %q in %q", w, got.Reasons)
		}
	}
	for _, n := range none {
		if hasReason(got.Reasons, n) {
			t.Errorf("unexpected reason %q in %q", n, got.Reasons)
		}
	}
}

func TestScorerVirality(t *testing.T) {
	withFollowers := func(m store.Mention, n int64) store.Mention { m.Author.Followers = ptr(n); return m }
	cases := map[string]struct {
		m        store.Mention
		samples  []store.Sample
		thread   []store.Mention
		c        CaseInfo
		reasons  []string
		none     []string
		min, max float64
	}{
		"calm, alone": {
			m: post("1", "budi", idComplaint, 0), max: 0.1,
			none: []string{"repost", "followers", "arousal", "threat", "sources"},
		},
		"velocity, id": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(0, 0), reposts(10*time.Minute, 12)},
			reasons: []string{"12 reposts in 10m"}, min: 0.7,
		},
		"velocity counts every kind of engagement, en": {
			m:       post("1", "sari", enComplaint, 0),
			samples: []store.Sample{{At: t0.Add(10 * time.Minute), Reposts: ptr[int64](12), Quotes: ptr[int64](2), Replies: ptr[int64](5), Likes: ptr[int64](40)}},
			reasons: []string{"14 reposts, 5 replies, 40 likes in 10m"}, min: 0.7,
		},
		"samples in any order": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(2*time.Hour, 14), reposts(time.Hour, 2)},
			reasons: []string{"12 reposts in 1h"}, min: 0.3,
		},
		"likes alone are weak": {
			m:       post("1", "sari", enComplaint, 0),
			samples: []store.Sample{{At: t0.Add(time.Hour), Likes: ptr[int64](40)}},
			reasons: []string{"40 likes in 1h"}, max: 0.1,
		},
		"accelerating": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(20*time.Minute, 2), reposts(30*time.Minute, 5), reposts(40*time.Minute, 30)},
			reasons: []string{"25 reposts in 10m", "reposts accelerating: 8× the previous pace"}, min: 0.85,
		},
		"slowing": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(20*time.Minute, 60), reposts(80*time.Minute, 66)},
			reasons: []string{"6 reposts in 1h", "reposts slowing: 0.0× the previous pace"}, none: []string{"accelerating"}, max: 0.12,
		},
		"counts that fall are no engagement": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(10*time.Minute, 10), reposts(20*time.Minute, 8)},
			reasons: []string{}, none: []string{"reposts in"}, max: 0.1,
		},
		"unknown counts are not zero": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{{At: t0.Add(10 * time.Minute), Likes: ptr[int64](3)}, reposts(20*time.Minute, 50)},
			none:    []string{"repost"}, max: 0.1,
		},
		"reach": {
			m:       withFollowers(post("1", "budi", idComplaint, 0), 48_200),
			reasons: []string{"author 48k followers"}, min: 0.4, max: 0.5,
		},
		"reach from samples": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{{At: t0, Followers: ptr[int64](900)}, {At: t0.Add(time.Minute), Followers: ptr[int64](1_250_000)}},
			reasons: []string{"author 1.2M followers"}, min: 0.7,
		},
		"high arousal, id": {
			m:       post("1", "budi", "VIRALKAN!!! jangan beli di sini, PENIPU semua", 0),
			reasons: []string{"high-arousal language", "threat: 'viralkan'"}, min: 0.5,
		},
		"high arousal, en": {
			m:       post("1", "sari", "AVOID THIS SHOP!!! total SCAM, they stole my money", 0),
			reasons: []string{"high-arousal language"}, min: 0.3,
		},
		"threats, id": {
			m:       post("1", "budi", "refund gak cair2, saya laporkan ke YLKI dan OJK, biar viral sekalian", 0),
			reasons: []string{"threat: 'laporkan', 'ylki', 'ojk', 'viral'"}, min: 0.45,
		},
		"threats, en": {
			m:       post("1", "sari", "Still no refund after 2 weeks. I'll take this to the press and my lawyer.", 0),
			reasons: []string{"threat: 'press', 'lawyer'"}, min: 0.35,
		},
		"same complaint on several sources": {
			m: post("1", "budi", idComplaint, 0), c: CaseInfo{Key: "mastodon:0", Size: 3, Sources: 3, Authors: 2},
			reasons: []string{"same complaint on 3 sources", "2 people posted the same complaint", "grouped with 2 related posts"}, min: 0.45,
		},
		"one person cross-posting is not more people": {
			m: post("1", "budi", idComplaint, 0), c: CaseInfo{Key: "mastodon:0", Size: 2, Sources: 2, Authors: 1},
			reasons: []string{"same complaint on 2 sources"}, none: []string{"people"}, min: 0.2,
		},
		"a private reply damps it": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(0, 0), reposts(10*time.Minute, 12)},
			thread: []store.Mention{post("1", "budi", idComplaint, 0),
				reply("r", "acme", "Mohon maaf kak 🙏 Boleh DM nomor resinya? Kami bantu cek segera.", "mastodon:1", 15*time.Minute, true)},
			reasons: []string{"12 reposts in 10m", "brand moved it to a private channel: virality damped"}, max: 0.45,
		},
		"a public reply does not": {
			m:       post("1", "budi", idComplaint, 0),
			samples: []store.Sample{reposts(0, 0), reposts(10*time.Minute, 12)},
			thread: []store.Mention{post("1", "budi", idComplaint, 0),
				reply("r", "acme", "Mohon maaf kak, paketnya sudah kami kirim ulang hari ini.", "mastodon:1", 15*time.Minute, true)},
			none: []string{"damped"}, min: 0.7,
		},
	}
	s := newScorer(t, ScoringConfig{})
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := s.Score(Input{Mention: tc.m, Samples: tc.samples, Thread: tc.thread, Case: tc.c, Now: t0.Add(20 * time.Minute)})
			wantReasons(t, got, tc.reasons, tc.none)
			if got.Virality < tc.min || (tc.max > 0 && got.Virality > tc.max) {
				t.Errorf("Virality = %v, want %v..%v (%q)", got.Virality, tc.min, tc.max, got.Reasons)
			}
			if tc.c.Size >= 2 && got.Case != tc.c.Key {
				t.Errorf("Case = %q, want %q", got.Case, tc.c.Key)
			}
			if tc.c.Size == 0 && got.Case != "" {
				t.Errorf("Case = %q for a post alone", got.Case)
			}
		})
	}
}

func TestScorerClock(t *testing.T) {
	jakarta := ScoringConfig{ClockConfig: ClockConfig{
		Timezone:      "Asia/Jakarta",
		BusinessHours: &BusinessHours{Days: []string{"mon-fri"}, Start: "08:00", End: "20:00"},
		Targets:       Targets{Sources: map[string]time.Duration{"vip": 15 * time.Minute}},
	}}
	// Friday 14 March 2025, 19:30 in Jakarta.
	friEvening := time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC)
	review := func(m store.Mention) store.Mention { m.Kind, m.Rating = "appstore", ptr(1); return m }
	edit := func(m store.Mention, f func(*store.Mention)) store.Mention { f(&m); return m }

	cases := map[string]struct {
		cfg        ScoringConfig
		m          store.Mention
		thread     []store.Mention
		now        time.Time
		state      store.ReplyState
		target     time.Duration
		overdue    time.Duration
		reasons    []string
		none       []string
		noPriority bool
		minPrio    float64
	}{
		"unanswered past the target": {
			m: post("1", "budi", idComplaint, 0), now: t0.Add(2*time.Hour + 13*time.Minute),
			state: store.ReplyNew, target: time.Hour, overdue: 73 * time.Minute,
			reasons: []string{"unanswered 2h13m, target 1h"}, minPrio: 0.6,
		},
		"overdue rounds up to the minute": {
			m: post("1", "budi", idComplaint, 0), now: t0.Add(time.Hour + 20*time.Second),
			state: store.ReplyNew, target: time.Hour, overdue: time.Minute, reasons: []string{"unanswered 1h1m, target 1h"},
		},
		"exactly at the target is not yet overdue": {
			m: post("1", "budi", idComplaint, 0), now: t0.Add(time.Hour),
			state: store.ReplyNew, target: time.Hour, reasons: []string{"reply due 14 Mar 10:00 UTC, target 1h"}, none: []string{"unanswered"},
		},
		"within the target, en": {
			m: post("1", "sari", enComplaint, 0), now: t0.Add(40 * time.Minute),
			state: store.ReplyNew, target: time.Hour, reasons: []string{"reply due 14 Mar 10:00 UTC, target 1h"},
		},
		"business hours: the weekend does not count": {
			cfg: jakarta, m: edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.CreatedAt, m.SeenAt = friEvening, friEvening }),
			now:   friEvening.Add(24 * time.Hour), // Saturday evening
			state: store.ReplyNew, target: time.Hour, reasons: []string{"reply due 17 Mar 08:30 WIB, target 1h of business hours"},
		},
		"business hours: overdue on Monday morning": {
			cfg: jakarta, m: edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.CreatedAt, m.SeenAt = friEvening, friEvening }),
			now:   time.Date(2025, 3, 17, 1, 45, 0, 0, time.UTC), // Monday 08:45 WIB
			state: store.ReplyNew, target: time.Hour, overdue: 15 * time.Minute, reasons: []string{"unanswered 1h15m of business hours, target 1h"},
		},
		"a source's own target": {
			cfg: jakarta, m: edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.Source = "vip" }),
			now: t0.Add(time.Hour), state: store.ReplyNew, target: 15 * time.Minute, overdue: 45 * time.Minute,
		},
		"a review waits a day": {
			m: review(post("1", "budi", "aplikasi sering error pas bayar", 0)), now: t0.Add(5 * time.Hour),
			state: store.ReplyNew, target: 24 * time.Hour, reasons: []string{"rating 1/5", "reply due 15 Mar 09:00 UTC, target 1d"},
		},
		"a question needs an answer, id": {
			m: post("1", "budi", "kapan promo berikutnya?", 0), now: t0.Add(2 * time.Hour),
			state: store.ReplyNew, target: time.Hour, overdue: time.Hour,
		},
		"a question needs an answer, en": {
			m: post("1", "sari", "what time do you open on Sunday?", 0), now: t0.Add(30 * time.Minute),
			state: store.ReplyNew, target: time.Hour,
		},
		"praise needs no reply, id": {
			m: post("1", "budi", "mantap, kurir kilat ramah banget 👍", 0), now: t0.Add(5 * time.Hour),
			state: store.ReplyNotNeeded, reasons: []string{"no reply needed: not a complaint or a question"}, noPriority: true,
		},
		"praise needs no reply, en": {
			m: post("1", "sari", "Thanks, the support team was super helpful!", 0), now: t0.Add(5 * time.Hour),
			state: store.ReplyNotNeeded, noPriority: true,
		},
		"answered": {
			m: edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) {
				m.AnsweredAt, m.AnsweredBy = ptr(t0.Add(25*time.Minute)), "acme_support"
			}),
			now: t0.Add(3 * time.Hour), state: store.ReplyAnswered, target: time.Hour, // the target stays for the history
			reasons: []string{"answered by @acme_support after 25m"}, none: []string{"unanswered", "due"},
		},
		"answered with a move to DM": {
			m: post("1", "budi", idComplaint, 0),
			thread: []store.Mention{post("1", "budi", idComplaint, 0),
				reply("r", "acme", "Mohon maaf kak 🙏 Boleh DM nomor resinya?", "mastodon:1", 10*time.Minute, true)},
			now: t0.Add(3 * time.Hour), state: store.ReplyPrivate, target: time.Hour,
			reasons: []string{"answered by @acme after 10m", "moved to a private channel by the brand's answer"},
		},
		"another customer's reply is no answer": {
			m: post("1", "budi", idComplaint, 0),
			thread: []store.Mention{post("1", "budi", idComplaint, 0),
				reply("r", "sari", "sama kak, paket saya juga belum sampai", "mastodon:1", 10*time.Minute, false)},
			now: t0.Add(90 * time.Minute), state: store.ReplyNew, target: time.Hour, overdue: 30 * time.Minute,
		},
		"resolved by an agent": {
			m:   edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.Handling, m.HandledBy = store.ReplyResolved, "sari" }),
			now: t0.Add(3 * time.Hour), state: store.ReplyResolved, reasons: []string{"marked resolved by sari"}, noPriority: true,
		},
		"moved to private by an agent": {
			m:   edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.Handling, m.HandledBy = store.ReplyPrivate, "sari" }),
			now: t0.Add(3 * time.Hour), state: store.ReplyPrivate, target: time.Hour, reasons: []string{"moved to a private channel by sari"},
		},
		"an agent decided no reply is needed": {
			m:   edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.Handling = store.ReplyNotNeeded }),
			now: t0.Add(3 * time.Hour), state: store.ReplyNotNeeded, reasons: []string{"marked as needing no reply by an agent"}, noPriority: true,
		},
		"found long after it was posted": {
			m:   edit(post("1", "budi", idComplaint, 0), func(m *store.Mention) { m.SeenAt = t0.Add(10 * 24 * time.Hour) }),
			now: t0.Add(10 * 24 * time.Hour), state: store.ReplyNew, reasons: []string{"posted 10d before Pantau found it: no response clock"},
		},
		"unreadable text has no clock": {
			m: post("1", "jean", "Le service est nul, je suis très déçu de ma commande", 0), now: t0.Add(5 * time.Hour),
			state: store.ReplyNew, noPriority: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newScorer(t, tc.cfg)
			got := s.Score(Input{Mention: tc.m, Thread: tc.thread, Now: tc.now})
			if got.ReplyState != tc.state || got.Target != tc.target || got.Overdue != tc.overdue {
				t.Errorf("state %q target %v overdue %v, want %q %v %v (%q)", got.ReplyState, got.Target, got.Overdue, tc.state, tc.target, tc.overdue, got.Reasons)
			}
			wantReasons(t, got, tc.reasons, tc.none)
			if tc.noPriority != (got.Priority == 0) || got.Priority < tc.minPrio {
				t.Errorf("Priority = %v", got.Priority)
			}
		})
	}
}

func TestScorerEscalation(t *testing.T) {
	s := newScorer(t, ScoringConfig{})
	now := t0.Add(50 * time.Minute)
	cases := map[string]struct {
		lang      string
		root, fu  string
		fuAuthor  string
		escalated bool
		reason    string
	}{
		"id min??":                   {root: idComplaint, fu: "min?? kok gak dibales sih", fuAuthor: "budi", escalated: true, reason: "escalated: @budi followed up unanswered: “min?? kok gak dibales sih”"},
		"en still no answer":         {root: enComplaint, fu: "still no answer??", fuAuthor: "budi", escalated: true, reason: "escalated: @budi followed up unanswered: “still no answer??”"},
		"someone else nudges":        {root: idComplaint, fu: "min??", fuAuthor: "sari"},
		"more detail is not a nudge": {root: idComplaint, fu: "resi saya KX123, tujuan Bandung", fuAuthor: "budi"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := post("1", "budi", tc.root, 0)
			fu := reply("2", tc.fuAuthor, tc.fu, root.Key, 30*time.Minute, false)
			thread := []store.Mention{root, fu}
			alone := s.Score(Input{Mention: root, Now: now})
			got := s.Score(Input{Mention: root, Thread: thread, Now: now})
			if got.Escalated != tc.escalated {
				t.Fatalf("Escalated = %v (%q)", got.Escalated, got.Reasons)
			}
			if !tc.escalated {
				if got.Priority != alone.Priority {
					t.Errorf("priority %v changed without escalation (%v)", got.Priority, alone.Priority)
				}
				return
			}
			wantReasons(t, got, []string{tc.reason}, nil)
			if got.Priority < alone.Priority+0.149 {
				t.Errorf("escalation raised priority only from %v to %v", alone.Priority, got.Priority)
			}
			// The follow-up leaves the queue to the first post.
			f := s.Score(Input{Mention: fu, Thread: thread, Now: now})
			if f.Priority != 0 || f.Overdue != 0 || f.Target != 0 || !hasReason(f.Reasons, "follow-up to @budi's earlier post") {
				t.Errorf("follow-up score: %+v", f)
			}
		})
	}

	t.Run("a follow-up proves a reply was wanted", func(t *testing.T) {
		root := post("1", "budi", "halo kilat, mau tanya soal pengiriman ke luar kota", 0)
		thread := []store.Mention{root, reply("2", "budi", "min??", root.Key, 30*time.Minute, false)}
		if alone := s.Score(Input{Mention: root, Now: now}); alone.ReplyState != store.ReplyNotNeeded {
			t.Fatalf("alone: %q", alone.ReplyState)
		}
		got := s.Score(Input{Mention: root, Thread: thread, Now: now})
		if got.ReplyState != store.ReplyNew || !got.Escalated || got.Target != time.Hour {
			t.Errorf("with the follow-up: %+v", got)
		}
	})

	t.Run("answering the follow-up answers the conversation", func(t *testing.T) {
		root := post("1", "budi", idComplaint, 0)
		fu := reply("2", "budi", "min??", root.Key, 30*time.Minute, false)
		ans := reply("3", "acme", "Maaf kak, sudah kami cek, paket tiba besok ya.", fu.Key, 40*time.Minute, true)
		thread := []store.Mention{root, fu, ans}
		got := s.Score(Input{Mention: root, Thread: thread, Now: now})
		if got.ReplyState != store.ReplyAnswered || got.Escalated || got.Overdue != 0 {
			t.Errorf("root: %+v", got)
		}
		wantReasons(t, got, []string{"answered by @acme after 40m"}, []string{"escalated"})
	})

	t.Run("a nudge after an answer starts again", func(t *testing.T) {
		root := post("1", "budi", idComplaint, 0)
		ans := reply("2", "acme", "Maaf kak, paket tiba besok ya.", root.Key, 10*time.Minute, true)
		again := reply("3", "budi", "min?? kok belum sampai juga", ans.Key, 3*time.Hour, false)
		thread := []store.Mention{root, ans, again}
		got := s.Score(Input{Mention: again, Thread: thread, Now: t0.Add(4*time.Hour + 30*time.Minute)})
		if got.ReplyState != store.ReplyNew || got.Target != time.Hour || got.Overdue != 30*time.Minute || got.Priority == 0 {
			t.Errorf("second nudge: %+v", got)
		}
	})
}

// TestScorerPriorityOrder checks the queue's order on hand-picked posts.
func TestScorerPriorityOrder(t *testing.T) {
	s := newScorer(t, ScoringConfig{})
	now := t0.Add(3 * time.Hour)
	type item struct {
		name string
		in   Input
	}
	old := func(p store.Mention) store.Mention { return p } // created at t0: 2h overdue at now
	fresh := func(p store.Mention) store.Mention { p.CreatedAt = now.Add(-5 * time.Minute); return p }
	root := old(post("9", "budi", idComplaint, 0))
	// From lowest to highest.
	order := []item{
		{"praise", Input{Mention: fresh(post("1", "a", "mantap, kurir kilat ramah banget 👍", 0))}},
		{"answered complaint", Input{Mention: func() store.Mention {
			p := old(post("2", "b", idComplaint, 0))
			p.AnsweredAt = ptr(t0.Add(10 * time.Minute))
			return p
		}()}},
		{"fresh question", Input{Mention: fresh(post("3", "c", "kapan promo berikutnya?", 0))}},
		{"fresh complaint", Input{Mention: fresh(post("4", "d", idComplaint, 0))}},
		{"overdue complaint", Input{Mention: old(post("6", "f", idComplaint, 0))}},
		// A threat to go to a regulator outranks an ordinary complaint
		// two targets late: that is where firestorms start.
		{"fresh threat", Input{Mention: fresh(post("5", "e", "refund gak cair2, saya laporkan ke YLKI dan OJK", 0))}},
		{"overdue, escalated", Input{Mention: root, Thread: []store.Mention{root, reply("10", "budi", "min??", root.Key, time.Hour, false)}}},
		{"overdue, escalated, viral", Input{Mention: root, Thread: []store.Mention{root, reply("10", "budi", "min??", root.Key, time.Hour, false)},
			Samples: []store.Sample{reposts(150*time.Minute, 5), reposts(170*time.Minute, 60)}}},
	}
	prev := -1.0
	for _, it := range order {
		it.in.Now = now
		got := s.Score(it.in)
		if got.Priority <= prev && !(prev == 0 && got.Priority == 0 && it.name == "praise") {
			t.Errorf("%s: priority %v not above the previous %v (%q)", it.name, got.Priority, prev, got.Reasons)
		}
		prev = got.Priority
	}
	if prev > 1 {
		t.Errorf("priority %v above 1", prev)
	}
}

func TestScorerReasonsInPlainLanguage(t *testing.T) {
	s := newScorer(t, ScoringConfig{})
	m := post("1", "budi", "kecewa bgt min, refund gak cair2", 0)
	m.Author.Followers = ptr[int64](48_000)
	got := s.Score(Input{Mention: m, Samples: []store.Sample{reposts(2*time.Hour, 0), reposts(2*time.Hour+10*time.Minute, 12)},
		Now: t0.Add(2*time.Hour + 13*time.Minute)})
	joined := strings.Join(got.Reasons, "; ")
	for _, want := range []string{"'kecewa'", "'refund'", "12 reposts in 10m", "author 48k followers", "unanswered 2h13m, target 1h"} {
		if !strings.Contains(joined, want) {
			t.Errorf("reasons %q lack %q", joined, want)
		}
	}
}

func TestNewScorerNeedsAnAnalyzer(t *testing.T) {
	if _, err := NewScorer(ScoringConfig{}, nil, nil); err == nil {
		t.Error("no error without a text analyzer")
	}
}

// BenchmarkScorer measures the composed scorer over benchTexts, each with
// engagement samples, a thread of three posts and business hours in
// Jakarta: the work of one sweep per open mention, store reads excluded.
// It runs with the hand-written analyzer and with the trained model.
//
//	go test ./alerting/ -run '^$' -bench 'Scorer$' -benchmem
func BenchmarkScorer(b *testing.B) {
	for _, an := range []struct {
		name string
		text TextAnalyzer
	}{{"textscorer", NewTextScorer()}, {"textmodel", TextModel(textmodel.Default())}} {
		b.Run(an.name, func(b *testing.B) { benchScorer(b, an.text) })
	}
}

func benchScorer(b *testing.B, text TextAnalyzer) {
	s, err := NewScorer(ScoringConfig{ClockConfig: ClockConfig{
		Timezone:      "Asia/Jakarta",
		BusinessHours: &BusinessHours{Days: []string{"mon-fri"}, Start: "08:00", End: "20:00"},
	}}, text, nil)
	if err != nil {
		b.Fatal(err)
	}
	texts := benchTexts()
	in := make([]Input, len(texts))
	for i, text := range texts {
		m := post("b"+string(rune('a'+i)), "budi", text, 0)
		m.Author.Followers = ptr[int64](5200)
		thread := []store.Mention{m,
			reply("x", "sari", "sama kak, punyaku juga", m.Key, 20*time.Minute, false),
			reply("y", "budi", "min??", m.Key, 50*time.Minute, false)}
		in[i] = Input{Mention: m, Thread: thread, Now: t0.Add(90 * time.Minute),
			Samples: []store.Sample{reposts(30*time.Minute, 2), reposts(60*time.Minute, 9), reposts(90*time.Minute, 30)},
			Case:    CaseInfo{Key: m.Key, Size: 2, Sources: 2, Authors: 1}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		s.Score(in[n%len(in)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mentions/s")
}
