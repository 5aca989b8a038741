package alerting

import (
	"fmt"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// scored makes a stored-looking mention with a score: a complaint or not.
func scored(kind, source, id, author, text string, complaint bool, seen time.Time) store.Mention {
	c := 0.1
	if complaint {
		c = 0.9
	}
	return store.Mention{Key: store.MentionKey(kind, id), Kind: kind, Source: source, NativeID: id, Brand: "kilat",
		Author: store.Author{Handle: author}, Text: text, CreatedAt: seen, SeenAt: seen,
		Score: &store.Score{Scored: true, Complaint: c}}
}

const budiText = "@kilat udh 3 hari paket blm nyampe, kecewa bgt min. resi KX12345 gak gerak sama sekali dari gudang Cikarang"

func TestCasesGrouping(t *testing.T) {
	type step struct {
		m    store.Mention
		want string // the case key it must join; "" for none
	}
	masto := func(id, author, text string, complaint bool) store.Mention {
		return scored("mastodon", "masto-id", id, author, text, complaint, t0)
	}
	bsky := func(id, author, text string, complaint bool) store.Mention {
		return scored("bluesky", "bsky", id, author, text, complaint, t0)
	}
	cases := map[string]struct {
		steps       []step
		size, srcs  int
		authors     int
		caseOfFirst string
	}{
		"a repost on two platforms is one case": {
			steps: []step{
				{masto("1", "budi", budiText, true), "mastodon:1"},
				// Trimmed for the platform, another handle, a tag and a link.
				{bsky("a", "budi.bsky.social", "udah 3 hari paket belum sampai, kecewa banget min. resi KX12345 gak gerak sama sekali dari gudang #kilat https://bsky.app/x", true), "mastodon:1"},
			},
			size: 2, srcs: 2, authors: 1,
		},
		"quoting it with a comment joins it": {
			steps: []step{
				{masto("1", "budi", budiText, true), "mastodon:1"},
				{masto("2", "sari", "parah! "+budiText, true), "mastodon:1"},
			},
			size: 2, srcs: 1, authors: 2,
		},
		"unrelated complaints stay apart": {
			steps: []step{
				{masto("1", "budi", budiText, true), "mastodon:1"},
				{masto("2", "sari", "my parcel arrived damaged and the box was soaking wet, really disappointed with the courier", true), "mastodon:2"},
				{masto("3", "tono", "aplikasi error terus pas mau bayar, saldo kepotong tapi pesanan gagal, tolong refund", true), "mastodon:3"},
			},
			size: 1, srcs: 1, authors: 1,
		},
		"the same words about two customers' parcels stay apart": {
			steps: []step{
				{masto("1", "budi", "paket saya belum sampai juga sudah seminggu, resi KX12345 tolong dicek min", true), "mastodon:1"},
				{masto("2", "sari", "paket saya belum sampai juga sudah seminggu, resi JT99887 tolong dicek min", true), "mastodon:2"},
			},
			size: 1, srcs: 1, authors: 1,
		},
		"short complaints are never matched by text": {
			steps: []step{
				{masto("1", "budi", "kecewa bgt min", true), "mastodon:1"},
				{masto("2", "sari", "kecewa bgt min", true), "mastodon:2"},
			},
			size: 1, srcs: 1, authors: 1,
		},
		"praise is not indexed": {
			steps: []step{
				{masto("1", "budi", budiText, false), ""},
				{masto("2", "budi", budiText, true), "mastodon:2"},
			},
			size: 1, srcs: 1, authors: 1, caseOfFirst: "-",
		},
		"a follow-up in the thread joins, a stranger's chatter does not": {
			steps: []step{
				{masto("1", "budi", budiText, true), "mastodon:1"},
				{func() store.Mention { m := masto("2", "budi", "min??", false); m.ReplyTo = "mastodon:1"; return m }(), "mastodon:1"},
				{func() store.Mention { m := masto("3", "tono", "lol", false); m.ReplyTo = "mastodon:2"; return m }(), ""},
				{func() store.Mention {
					m := masto("4", "sari", "sama kak, paket saya juga hilang", true)
					m.ReplyTo = "mastodon:3"
					return m
				}(), "mastodon:1"},
			},
			size: 3, srcs: 1, authors: 2,
		},
		"another brand's complaint stays apart": {
			steps: []step{
				{masto("1", "budi", budiText, true), "mastodon:1"},
				{func() store.Mention { m := masto("2", "budi", budiText, true); m.Brand = "other"; return m }(), "mastodon:2"},
			},
			size: 1, srcs: 1, authors: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			x := newCaseIndex(caseWindow, caseLimit)
			var thread []store.Mention
			for _, s := range tc.steps {
				thread = append(thread, s.m)
				ci := x.place(&s.m, thread, t0)
				if ci.Key != s.want {
					t.Errorf("%s joined %q, want %q", s.m.Key, ci.Key, s.want)
				}
				// Placing twice changes nothing.
				if again := x.place(&s.m, thread, t0); again != ci && s.want != "" {
					t.Errorf("placed twice: %+v then %+v", ci, again)
				}
			}
			first := tc.steps[0].m.Key
			if tc.caseOfFirst == "-" {
				first = tc.steps[1].m.Key
			}
			got := x.info(first)
			if got.Size != tc.size || got.Sources != tc.srcs || got.Authors != tc.authors {
				t.Errorf("case of %s: %+v, want size %d sources %d authors %d", first, got, tc.size, tc.srcs, tc.authors)
			}
		})
	}
}

func TestCasesBounded(t *testing.T) {
	x := newCaseIndex(time.Hour, 3)
	for i := range 5 {
		m := scored("mastodon", "m", fmt.Sprint(i), "budi", budiText, true, t0.Add(time.Duration(i)*time.Minute))
		x.place(&m, nil, m.SeenAt)
	}
	// The limit keeps the newest three: the case lives on under its first
	// key, counted from what is left.
	if n := len(x.byKey); n != 3 {
		t.Errorf("%d entries, limit 3", n)
	}
	if ci := x.info("mastodon:4"); ci.Key != "mastodon:0" || ci.Size != 3 {
		t.Errorf("after the limit: %+v", ci)
	}
	// An hour later everything is out of the window.
	late := scored("mastodon", "m", "late", "sari", "my parcel arrived damaged and the box was soaking wet, really disappointed", true, t0.Add(2*time.Hour))
	x.place(&late, nil, late.SeenAt)
	if n, g := len(x.byKey), len(x.cases); n != 1 || g != 1 || len(x.bands) != caseBands {
		t.Errorf("after the window: %d entries, %d cases, %d bands", n, g, len(x.bands))
	}
}

func TestCasesRestore(t *testing.T) {
	x := newCaseIndex(caseWindow, caseLimit)
	first := scored("mastodon", "m", "1", "budi", budiText, true, t0)
	second := scored("bluesky", "b", "a", "budi", budiText, true, t0)
	second.Score.Case, first.Score.Case = first.Key, first.Key
	follow := scored("mastodon", "m", "2", "budi", "min??", false, t0)
	follow.Score.Case = first.Key
	alone := scored("mastodon", "m", "3", "sari", "aplikasi error terus pas mau bayar, saldo kepotong tapi pesanan gagal", true, t0)
	for _, m := range []store.Mention{first, second, follow, alone} {
		x.restore(&m, t0)
	}
	if ci := x.info(second.Key); ci.Key != first.Key || ci.Size != 3 || ci.Sources != 2 {
		t.Errorf("restored case: %+v", ci)
	}
	if ci := x.info(alone.Key); ci.Key != alone.Key || ci.Size != 1 {
		t.Errorf("restored single: %+v", ci)
	}
	// A new repost still finds the restored case by its text.
	again := scored("reddit", "r", "t3_x", "budi", budiText, true, t0.Add(time.Minute))
	if ci := x.place(&again, nil, again.SeenAt); ci.Key != first.Key || ci.Size != 4 || ci.Sources != 3 {
		t.Errorf("after restore: %+v", ci)
	}
}

func BenchmarkCasePlace(b *testing.B) {
	x := newCaseIndex(caseWindow, caseLimit)
	texts := benchTexts()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m := scored("mastodon", "m", fmt.Sprint(n), fmt.Sprint("u", n%50), texts[n%len(texts)]+fmt.Sprint(" ", n), true, t0)
		x.place(&m, nil, t0)
		n++
	}
}

// TestCasesReplyCycle: hostile data can make replies loop; the walk up the
// thread ends and the mention is placed on its own merits.
func TestCasesReplyCycle(t *testing.T) {
	x := newCaseIndex(caseWindow, caseLimit)
	a := scored("mastodon", "m", "a", "budi", "min??", false, t0)
	b := scored("mastodon", "m", "b", "budi", "lol", false, t0)
	a.ReplyTo, b.ReplyTo = b.Key, a.Key
	m := scored("mastodon", "m", "c", "budi", budiText, true, t0)
	m.ReplyTo = a.Key
	done := make(chan CaseInfo)
	go func() { done <- x.place(&m, []store.Mention{a, b, m}, t0) }()
	select {
	case ci := <-done:
		if ci.Key != m.Key || ci.Size != 1 {
			t.Errorf("placed as %+v", ci)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the walk up a reply cycle did not end")
	}
}
