package ui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pantau/pantau/store"
)

// login opens the dashboard, logs in through the login form and waits for
// the first screen of the role.
func (b *browser) login(t *testing.T, url, user string) {
	t.Helper()
	b.do(t, chromedp.Navigate(url+"/"))
	b.waitJS(t, "the login form", `!document.getElementById('screen-login').hidden`)
	b.do(t,
		chromedp.SendKeys(chromedp.ID("login-user"), user),
		chromedp.SendKeys(chromedp.ID("login-pass"), user+"-pw"),
		chromedp.Click(chromedp.ID("login-submit")),
	)
	b.waitJS(t, "logged in as "+user, `!document.getElementById('whoami').hidden && document.getElementById('whoami-name').textContent === `+js(user))
}

func (b *browser) waitLive(t *testing.T) {
	t.Helper()
	b.waitJS(t, "the live connection", `document.getElementById('conn').dataset.state === 'live'`)
}

func score(prio float64, sev int, lang string) store.Score {
	return store.Score{Scorer: "t", Lang: lang, Scored: true, Complaint: prio, Severity: sev, Priority: prio,
		Reasons: []string{"reason for " + lang}}
}

func saveScore(t *testing.T, st *store.Store, key string, sc store.Score) {
	t.Helper()
	if err := st.SaveScores(map[string]store.Score{key: sc}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserQueueIsLive: mentions ingested after the page loaded appear in
// the queue in priority order, a score moves a mention up, and the brand's
// reply takes it out, all without reloading. The order shown is the
// server's order for the same query.
func TestBrowserQueueIsLive(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	ts, _ := startDashboard(t, st, nil)
	b.open(t, ts.URL, "#/queue")
	b.waitJS(t, "the empty queue note", `!document.getElementById('queue-empty').hidden`)
	b.do(t, chromedp.Evaluate[chromedp.Void](`window.__sameDocument = 1`))

	first := mention("q1", "Paket saya belum datang sudah 5 hari, kecewa bgt min")
	first.Author = store.Author{Handle: "rina_w", DisplayName: "Rina W."}
	ingest(t, st, first)
	b.waitJS(t, "the first mention", has("queue", first.Text))
	second := mention("q2", "Checkout error 502 again")
	ingest(t, st, second)
	b.waitJS(t, "the second mention", `(`+queueKeys+`).length === 2`)

	// Scored: the second becomes critical and goes to the top.
	saveScore(t, st, "rss:q1", score(0.4, 2, "id"))
	saveScore(t, st, "rss:q2", score(0.95, 4, "en"))
	b.waitJS(t, "the new order", `(`+queueKeys+`).join() === 'rss:q2,rss:q1'`)
	b.waitJS(t, "the critical item noticed", `document.body.dataset.lastCritical === 'rss:q2'`)
	if !evalJS[bool](t, b, `document.querySelector('#queue li[data-key="rss:q2"]').classList.contains('critical')`) {
		t.Error("the severity 4 item is not marked critical")
	}
	apiOrder := awaitJS[[]string](t, b, `fetch('api/queue').then(r => r.json()).then(d => d.mentions.map(m => m.key))`)
	if shown := evalJS[[]string](t, b, queueKeys); strings.Join(shown, ",") != strings.Join(apiOrder, ",") {
		t.Errorf("queue shows %v, the API orders %v", shown, apiOrder)
	}

	// The brand answers the first: it leaves the open queue.
	reply := mention("q3", "Halo kak Rina, mohon maaf. Boleh DM nomor pesanannya?")
	reply.ByBrand, reply.ReplyTo = true, "rss:q1"
	reply.CreatedAt = first.CreatedAt.Add(10 * time.Minute)
	ingest(t, st, reply)
	b.waitJS(t, "the answered mention to leave", `(`+queueKeys+`).join() === 'rss:q2'`)
	if !evalJS[bool](t, b, `window.__sameDocument === 1`) {
		t.Error("the page reloaded")
	}
	b.checkProblems(t, nil)
}

// TestBrowserQueueFiltersSearchAndKeys: every filter and the search show
// what the API answers for the same query; a live mention that does not
// match the filters stays out; the keyboard moves, opens and acts.
func TestBrowserQueueFiltersSearchAndKeys(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	seedQueue(t, st)
	ts, _ := startDashboard(t, st, nil)
	b.open(t, ts.URL, "#/queue")
	b.waitJS(t, "the seeded queue", `(`+queueKeys+`).length === 5`)

	// setFilter changes one control as a user would and waits for the
	// list to equal the API's answer to the same query.
	check := func(name, setup, query string, want []string) {
		t.Helper()
		b.do(t, chromedp.Evaluate[chromedp.Void](setup))
		b.waitJS(t, name, `(`+queueKeys+`).join() === `+js(strings.Join(want, ",")))
		api := awaitJS[[]string](t, b, `fetch('api/queue?`+query+`').then(r => r.json()).then(d => d.mentions.map(m => m.key))`)
		if strings.Join(api, ",") != strings.Join(want, ",") {
			t.Errorf("%s: the API answers %v for %s, the test expects %v", name, api, query, want)
		}
	}
	sel := func(id, v string) string {
		return `(() => { const s = document.getElementById(` + js(id) + `); s.value = ` + js(v) + `; s.dispatchEvent(new Event('change')); })()`
	}
	check("severity 3+", sel("qf-severity", "3"), "min_severity=3", []string{"rss:samehigh", "rss:high"})
	check("and brand", sel("qf-brand", "tokoku"), "min_severity=3&brand=tokoku", []string{"rss:samehigh", "rss:high"})
	check("brand acme, any severity", sel("qf-severity", "")+`;`+sel("qf-brand", "acme"), "brand=acme", []string{"rss:mid"})
	check("language en", sel("qf-brand", "")+`;`+sel("qf-lang", "en"), "lang=en", []string{"rss:mid"})
	check("state answered", sel("qf-lang", "")+`;`+sel("qf-state", "answered"), "state=answered", []string{"rss:answered"})
	check("state assigned", sel("qf-state", "assigned"), "state=assigned", []string{"rss:mid"})
	check("source elsewhere", sel("qf-state", "open")+`;`+sel("qf-source", "news"), "source=news", []string{"rss:samehigh", "rss:high", "rss:mid", "rss:low", "rss:fresh"})

	// The search box, reached with "/".
	b.key(t, "/")
	b.waitJS(t, "the search box focused", `document.activeElement === document.getElementById('qf-search')`)
	// CDP sends the "/" as a separate char event that the page's
	// preventDefault on keydown cannot stop (a real keyboard's can): clear
	// what it typed.
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById('qf-search').value = ''`))
	b.do(t, chromedp.SendKeys(chromedp.ID("qf-search"), "saldo"))
	b.waitJS(t, "the search result", `(`+queueKeys+`).join() === 'rss:samehigh'`)

	// A live mention that does not match the search stays out; one that
	// does comes in.
	ingest(t, st, mention("nomatch", "Aplikasi lambat sekali"))
	ingest(t, st, mention("match", "Saldo hilang setelah update"))
	b.waitJS(t, "the matching live mention", `(`+queueKeys+`).includes('rss:match')`)
	if evalJS[bool](t, b, `(`+queueKeys+`).includes('rss:nomatch')`) {
		t.Error("a live mention outside the search is shown")
	}

	// Escape leaves the search box; ? shows the help.
	b.key(t, "\x1b")
	b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('qf-search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`))
	b.waitJS(t, "the whole queue again", `(`+queueKeys+`).length === 7`)
	b.key(t, "?")
	b.waitJS(t, "the help", `!document.getElementById('queue-help').hidden`)
	b.key(t, "?")

	// j j selects the second, a assigns it (to the no-login user), r
	// resolves it: it leaves the open queue, and the store says so.
	b.key(t, "j")
	b.key(t, "j")
	second := evalJS[string](t, b, `document.querySelector('#queue li.selected').dataset.key`)
	if want := evalJS[[]string](t, b, queueKeys)[1]; second != want {
		t.Fatalf("j j selected %q, want the second, %q", second, want)
	}
	b.key(t, "a")
	b.waitJS(t, "assigned", has("queue-status", "Assigned"))
	b.key(t, "r")
	b.waitJS(t, "resolved and gone", `!(`+queueKeys+`).includes(`+js(second)+`)`)
	m, _, err := st.Mention(second)
	if err != nil || m.Handling != store.ReplyResolved || m.AssignedTo == "" {
		t.Errorf("stored: handling %q, assigned to %q (%v)", m.Handling, m.AssignedTo, err)
	}
	// k and Enter open the selected mention.
	b.key(t, "k")
	sel1 := evalJS[string](t, b, `document.querySelector('#queue li.selected').dataset.key`)
	b.key(t, "\r")
	b.waitJS(t, "the mention screen", `!document.getElementById('screen-mention').hidden && document.getElementById('detail').dataset.key === `+js(sel1))
	b.checkProblems(t, nil)
}

// TestBrowserActionSeenByOtherUser: two agents in two browser contexts
// (separate sessions). What one does with a note appears for the other at
// once: the mention leaves the other's queue, the other's open detail
// shows the new state and the note, and the lead's audit log has it.
func TestBrowserActionSeenByOtherUser(t *testing.T) {
	st := newTestStore(t)
	m := mention("shared", "Refund belum masuk sudah 2 minggu")
	ingest(t, st, m, mention("other", "Kapan promo balik?"))
	saveScore(t, st, "rss:shared", score(0.9, 3, "id"))
	ts, _ := startDashboard(t, st, map[string]string{"sari": "agent", "budi": "agent", "lena": "lead"})

	sari, budi := newBrowser(t), newBrowser(t)
	sari.login(t, ts.URL, "sari")
	budi.login(t, ts.URL, "budi")
	sari.waitLive(t)
	budi.waitLive(t)
	budi.waitJS(t, "budi's queue", `(`+queueKeys+`).join() === 'rss:shared,rss:other'`)

	// Budi has the other mention open; Sari opens the shared one and acts.
	budi.do(t, chromedp.Navigate(ts.URL+"/#/mention/"+"rss%3Ashared"))
	budi.waitJS(t, "budi's detail", `document.getElementById('detail').dataset.key === 'rss:shared'`)
	sari.do(t, chromedp.Navigate(ts.URL+"/#/mention/rss%3Ashared"))
	sari.waitJS(t, "sari's detail", `document.getElementById('detail').dataset.key === 'rss:shared'`)
	sari.do(t,
		chromedp.SendKeys(chromedp.ID("detail-note"), "Sudah DM, nomor pesanan TK-1"),
		chromedp.Click(chromedp.CSS("button.act-private")),
	)
	budi.waitJS(t, "the new state on budi's screen", has("detail", "Moved to private"))
	budi.waitJS(t, "sari's note on budi's screen", has("detail", "Sudah DM, nomor pesanan TK-1")+` && `+has("detail", "sari"))
	budi.do(t, chromedp.Navigate(ts.URL+"/#/queue"))
	budi.waitJS(t, "the shared mention gone from budi's queue", `(`+queueKeys+`).join() === 'rss:other'`)

	got, _, _ := st.Mention("rss:shared")
	if got.Handling != store.ReplyPrivate || got.HandledBy != "sari" {
		t.Errorf("stored handling %q by %q, want private by sari", got.Handling, got.HandledBy)
	}

	lena := newBrowser(t)
	lena.login(t, ts.URL, "lena")
	lena.do(t, chromedp.Navigate(ts.URL+"/#/audit"))
	lena.waitJS(t, "the audit entry", has("audit-rows", "sari")+` && `+has("audit-rows", "rss:shared"))
	for _, b := range []*browser{sari, budi, lena} {
		b.checkProblems(t, httpErrors(401))
	}
}

// TestBrowserMentionDetail: the thread in order with the brand's reply, the
// score and its reasons, the clock against its target, the case, the
// original post's link, and notes added through the actions.
func TestBrowserMentionDetail(t *testing.T) {
	b := newBrowser(t)
	st := newTestStore(t)
	root := mention("d1", "Pesanan TK-22817 dibatalin sepihak, refund belum masuk")
	root.URL = "https://social.example/@sinta/1"
	root.CreatedAt = time.Now().Add(-3 * time.Hour)
	reply := mention("d2", "Mohon maaf kak Sinta, kami cek dulu ya")
	reply.ByBrand, reply.ReplyTo, reply.CreatedAt = true, "rss:d1", root.CreatedAt.Add(20*time.Minute)
	reply.Author = store.Author{Handle: "tokoku_care"}
	follow := mention("d3", "Sudah 3 jam, masih belum ada kabar. Min??")
	follow.ReplyTo, follow.CreatedAt = "rss:d2", root.CreatedAt.Add(2*time.Hour)
	follow.Author = root.Author
	ingest(t, st, root, reply, follow)
	sc := score(0.92, 4, "id")
	sc.Reasons = []string{"'dibatalin sepihak', 'refund belum masuk'", "follow-up unanswered 1h"}
	sc.Target, sc.Overdue, sc.Case, sc.Escalated = time.Hour, 30*time.Minute, "rss:d0", true
	saveScore(t, st, "rss:d3", sc)
	ts, _ := startDashboard(t, st, nil)

	b.open(t, ts.URL, "#/mention/"+"rss%3Ad3")
	b.waitJS(t, "the detail", `document.getElementById('detail').dataset.key === 'rss:d3'`)
	posts := evalJS[[]string](t, b, `[...document.querySelectorAll('#detail .thread .post')].map(p => p.dataset.key)`)
	if strings.Join(posts, ",") != "rss:d1,rss:d2,rss:d3" {
		t.Errorf("thread order %v, want rss:d1,rss:d2,rss:d3", posts)
	}
	checks := map[string]string{
		"the brand reply marked":  `document.querySelector('#detail .post[data-key="rss:d2"]').classList.contains('brand')`,
		"the current post marked": `document.querySelector('#detail .post.current').dataset.key === 'rss:d3'`,
		"the reasons":             `[...document.querySelectorAll('#detail .reasons li')].map(l => l.textContent).join('|') === ` + js(strings.Join(sc.Reasons, "|")),
		"the priority":            has("detail", "0.92"),
		"the severity":            has("detail", "4 · blame"),
		"the clock target":        has("detail", "Target 1h · overdue by"),
		"overdue":                 has("detail", "overdue by") + ` && document.querySelector('#detail .waiting').classList.contains('overdue')`,
		"the case link":           `document.querySelector('#detail a.case').getAttribute('href') === '#/mention/rss%3Ad0'`,
		"the follow-up":           has("detail", "followed up without an answer"),
		"no notes yet":            has("detail", "No notes yet"),
	}
	for name, expr := range checks {
		if !evalJS[bool](t, b, expr) {
			t.Errorf("%s: false: %s", name, expr)
		}
	}
	// The root has a link to the original post; the follow-up has none.
	b.do(t, chromedp.Navigate(ts.URL+"/#/mention/rss%3Ad1"))
	b.waitJS(t, "the root", `document.getElementById('detail').dataset.key === 'rss:d1'`)
	if href := evalJS[string](t, b, `document.querySelector('#detail a.open').href`); href != root.URL {
		t.Errorf("original link %q, want %q", href, root.URL)
	}
	if rel := evalJS[string](t, b, `document.querySelector('#detail a.open').rel`); !strings.Contains(rel, "noopener") || !strings.Contains(rel, "noreferrer") {
		t.Errorf("original link rel %q", rel)
	}
	b.do(t,
		chromedp.SendKeys(chromedp.ID("detail-note"), "Ditangani lewat DM"),
		chromedp.Click(chromedp.CSS("button.act-assign")),
	)
	b.waitJS(t, "the note", `document.querySelectorAll('#detail .note-item').length === 1 && `+has("detail", "Ditangani lewat DM")+` && `+has("detail", "Assigned to"))
	b.checkProblems(t, nil)
}

func storeAlert(t *testing.T, st *store.Store, a store.Alert) {
	t.Helper()
	if a.OpenedAt.IsZero() {
		a.OpenedAt = time.Now().Add(-30 * time.Minute)
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.OpenedAt
	}
	if _, err := st.PutAlert(a); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserAlertsScreen: a lead sees the open alerts with reasons and
// who is on call, expands an alert's timeline (read from the server);
// acknowledges (the store changes, the timeline names the lead), snoozes,
// escalates and silences; an alert that opens
// meanwhile appears live. An agent sees the alerts without the actions.
func TestBrowserAlertsScreen(t *testing.T) {
	st := newTestStore(t)
	ingest(t, st, mention("a1", "Saldo terpotong dua kali, tolong dicek"))
	id := store.AlertID("unanswered", "rss:a1")
	storeAlert(t, st, store.Alert{ID: id, Rule: "unanswered", MentionKey: "rss:a1", Source: "news", Brand: "tokoku",
		State: store.AlertOpen, Summary: "Double charge complaint unanswered for 1h", Priority: 0.8,
		Reasons: []string{"unanswered 1h12m, SLA 1h", "money at stake: 'saldo'"}})
	ts, f := startDashboard(t, st, map[string]string{"lena": "lead", "sari": "agent"})

	b := newBrowser(t)
	b.login(t, ts.URL, "lena")
	b.waitLive(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#/alerts"))
	b.waitJS(t, "the alert", `document.querySelector('#alerts li[data-id]') !== null`)
	b.waitJS(t, "who is on call", has("oncall", "Sari Lestari")+` && `+has("oncall", "Budi Santoso"))
	for _, want := range []string{"Double charge complaint unanswered for 1h", "unanswered 1h12m, SLA 1h", "money at stake: 'saldo'"} {
		if !evalJS[bool](t, b, has("alerts", want)) {
			t.Errorf("alert does not show %q", want)
		}
	}
	// Expanding the alert reads its timeline from the server.
	timeline := `document.querySelector('#alerts li[data-id="` + id + `"] ol.timeline')`
	b.do(t, chromedp.Click(chromedp.CSS(`#alerts li[data-id="`+id+`"] .timeline-box > summary`)))
	b.waitJS(t, "the timeline", timeline+`.dataset.loaded === '1' && `+timeline+`.querySelector('li[data-kind=opened]') !== null`)
	if got := evalJS[string](t, b, timeline+`.querySelector('li[data-kind=opened]').textContent`); !strings.Contains(got, "Opened") || !strings.Contains(got, "money at stake: 'saldo'") {
		t.Errorf("timeline's opening reads %q", got)
	}

	b.do(t, chromedp.Click(chromedp.CSS("#alerts .btn.ack")))
	// The acknowledgement, by the lead's name, in the server's timeline
	// of the still expanded alert.
	ackBy := timeline + `.querySelector('li[data-kind=acknowledged] .by')`
	b.waitJS(t, "acknowledged in the timeline", `document.querySelector('#alerts .alert.state-ack') !== null && `+ackBy+` !== null && `+ackBy+`.textContent === 'lena'`)
	if a, _, _ := st.Alert(id); a.State != store.AlertAcknowledged || a.By != "lena" {
		t.Errorf("stored alert state %q by %q, want acknowledged by lena", a.State, a.By)
	}

	b.do(t, chromedp.SetValue(chromedp.CSS("#alerts .snooze-minutes"), "60"), chromedp.Click(chromedp.CSS("#alerts .btn.snooze")))
	b.waitJS(t, "the snooze answered", `document.querySelector('#alerts li[data-id]').dataset.done === 'Snooze'`)
	b.do(t, chromedp.Click(chromedp.CSS("#alerts .btn.escalate")))
	b.waitJS(t, "the escalation answered", `document.querySelector('#alerts li[data-id]').dataset.done === 'Escalate'`)
	b.waitJS(t, "snooze and escalation in the timeline", timeline+`.querySelector('li[data-kind=snoozed] .by')?.textContent === 'lena' && `+
		timeline+`.querySelector('li[data-kind=escalated] .by')?.textContent === 'lena'`)
	b.do(t, chromedp.Click(chromedp.CSS("#alerts .btn.silence")))
	b.waitJS(t, "the silence form", `!document.getElementById('silence-form').hidden`)
	b.do(t, chromedp.SendKeys(chromedp.ID("silence-comment"), "Known double-charge incident"), chromedp.Click(chromedp.CSS("#silence-form button[type=submit]")))
	b.waitJS(t, "the silence listed", has("silences", "rule=unanswered, source=news, brand=tokoku")+` && `+has("silences", "Known double-charge incident"))
	if errs := evalJS[string](t, b, `[...document.querySelectorAll('#alerts .error')].map(e => e.textContent).join('|')`); strings.Trim(errs, "|") != "" {
		t.Errorf("alert actions failed: %s", errs)
	}
	f.mu.Lock()
	calls := strings.Join(f.calls, "\n")
	f.mu.Unlock()
	for _, want := range []string{"snooze " + id + " 1h0m0s by lena", "escalate " + id + " by lena"} {
		if !strings.Contains(calls, want) {
			t.Errorf("alert routing got %q, want a line %q", calls, want)
		}
	}

	// An alert opened while the page is up appears without a reload.
	storeAlert(t, st, store.Alert{ID: "viral|rss:a1", Rule: "viral", MentionKey: "rss:a1", Source: "news", State: store.AlertOpen,
		Summary: "Spreading fast", Priority: 0.95, OpenedAt: time.Now()})
	b.waitJS(t, "the live alert", has("alerts", "Spreading fast"))

	// Resolve takes it off the list.
	b.do(t, chromedp.Click(chromedp.CSS(`#alerts li[data-id="`+id+`"] .btn.resolve`)))
	b.waitJS(t, "resolved", `document.querySelector('#alerts li[data-id="`+id+`"]') === null`)

	agent := newBrowser(t)
	agent.login(t, ts.URL, "sari")
	agent.do(t, chromedp.Navigate(ts.URL+"/#/alerts"))
	agent.waitJS(t, "the agent's alert list", has("alerts", "Spreading fast"))
	if n := evalJS[int](t, agent, `document.querySelectorAll('#alerts .btn').length`); n != 0 {
		t.Errorf("an agent sees %d alert action buttons", n)
	}
	b.checkProblems(t, httpErrors(401))
	agent.checkProblems(t, httpErrors(401))
}

// seedHistoryWeek stores a week of customers' posts (and some from the week
// before) with scores, answers and audited brand replies, for the real
// history endpoint: different numbers every day.
func seedHistoryWeek(t *testing.T, st *store.Store, now time.Time) {
	t.Helper()
	var scores = map[string]store.Score{}
	for day := range 14 {
		var batch []store.Mention
		for i := range 1 + day%5 + (14-day)/3 {
			m := mention(fmt.Sprintf("h%d-%d", day, i), fmt.Sprintf("Paket telat lagi, refund belum masuk (%d/%d)", day, i))
			m.CreatedAt = now.Add(-time.Duration(day)*24*time.Hour - time.Duration(i+1)*time.Hour)
			m.Brand = []string{"tokoku", "tokoku", "acme"}[i%3]
			batch = append(batch, m)
			complaint := 0.2 + 0.2*float64((i+day)%4)
			sc := store.Score{Scorer: "t", Lang: "id", Scored: true, Complaint: complaint, Severity: (i + day) % 5,
				Sentiment: []float64{-0.6, 0, 0.5}[(i+day)%3], Priority: complaint, Target: time.Hour, ReplyState: store.ReplyNew}
			if complaint < 0.5 {
				sc.Severity = 0
			} else {
				sc.Topics = [][]string{{"refund"}, {"delivery", "late"}, {"app"}}[(i+day)%3]
			}
			if (i+day)%3 == 0 {
				sc.Overdue = 2 * time.Hour
			}
			scores[store.MentionKey("rss", m.NativeID)] = sc
		}
		ingest(t, st, batch...)
		// The brand answers the first post of the day, sooner on some days.
		first := batch[0]
		reply := mention(fmt.Sprintf("h%d-reply", day), "Mohon maaf kak, kami bantu cek ya")
		reply.ByBrand, reply.ReplyTo, reply.Brand = true, "rss:"+first.NativeID, first.Brand
		reply.CreatedAt = first.CreatedAt.Add(time.Duration(10+day*20) * time.Minute)
		ingest(t, st, reply)
		verdict := []string{"ok", "ok", "needs_attention"}[day%3]
		scores["rss:"+reply.NativeID] = store.Score{Scorer: "t", Lang: "id", Scored: true, Audit: &store.Audit{Verdict: verdict}}
	}
	if err := st.SaveScores(scores); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserHistoryChartsAndExport: a marketing user sees only History;
// every chart draws the numbers the API returned (each bar's value and
// each label compared with the API's JSON, fetched by the page itself);
// the tables list every source and brand; both exports download.
func TestBrowserHistoryChartsAndExport(t *testing.T) {
	// The store's own clock, not the test clock of 2025: the history
	// counts posts by when they were written, up to now.
	st, err := store.Open(filepath.Join(t.TempDir(), "history.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts, _ := startDashboard(t, st, map[string]string{"maya": "marketing"})
	to := time.Now().UTC().Truncate(time.Hour)
	seedHistoryWeek(t, st, time.Now().UTC())

	b := newBrowser(t)
	b.login(t, ts.URL, "maya")
	b.waitJS(t, "the history screen", `!document.getElementById('screen-history').hidden && document.getElementById('history-body').dataset.loaded`)
	if nav := evalJS[[]string](t, b, `[...document.querySelectorAll('#nav a')].map(a => a.dataset.screen)`); strings.Join(nav, ",") != "history" {
		t.Errorf("marketing nav %v, want only history", nav)
	}
	if !evalJS[bool](t, b, `document.getElementById('conn').hidden`) {
		t.Error("marketing follows the live stream it has no screen for")
	}
	// The page's own request, repeated by the page: the answer the charts
	// must show.
	type point struct {
		T          string  `json:"t"`
		Mentions   float64 `json:"mentions"`
		Complaints float64 `json:"complaints"`
		Negative   float64 `json:"negative"`
		Neutral    float64 `json:"neutral"`
		Positive   float64 `json:"positive"`
		Unanswered float64 `json:"unanswered_past_target"`
	}
	type totals struct {
		Mentions float64            `json:"mentions"`
		Severity map[string]float64 `json:"severity"`
	}
	var api struct {
		Series         []point `json:"series"`
		PreviousTotals totals  `json:"previous_totals"`
		Topics         []struct {
			Topic           string
			Count, Previous float64
		} `json:"topics"`
		Totals struct {
			Mentions     float64            `json:"mentions"`
			Severity     map[string]float64 `json:"severity"`
			ResponseTime []struct {
				Le    string  `json:"le"`
				Count float64 `json:"count"`
			} `json:"response_time"`
			Audit struct{ Pass, Fail float64 } `json:"audit"`
		} `json:"totals"`
		BySource []struct{ Source string } `json:"by_source"`
	}
	raw := awaitJS[string](t, b, `fetch(document.getElementById('export-json').getAttribute('href').replace('history/export', 'history').replace(/&?format=json/, '')).then(r => r.text())`)
	if err := json.Unmarshal([]byte(raw), &api); err != nil || len(api.Series) == 0 {
		t.Fatalf("history answer %q: %v", clip(raw, 300), err)
	}
	values := func(sel string) []float64 {
		return evalJS[[]float64](t, b, `[...document.querySelectorAll(`+js(sel)+`)].map(e => Number(e.dataset.value))`)
	}
	same := func(name string, got []float64, want []float64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: drawn %v, API %v", name, got, want)
		}
	}
	var mentions, complaints, neg, pos, unans, share []float64
	for _, p := range api.Series {
		mentions = append(mentions, p.Mentions)
		complaints = append(complaints, p.Complaints)
		neg = append(neg, p.Negative)
		pos = append(pos, p.Positive)
		unans = append(unans, p.Unanswered)
		share = append(share, p.Complaints/p.Mentions)
	}
	same("mention bars", values("#chart-volume rect.bar.mentions"), mentions)
	same("complaint points", values("#chart-volume circle.pt.complaints"), complaints)
	same("negative bars", values("#chart-sentiment rect.bar.negative"), neg)
	same("positive bars", values("#chart-sentiment rect.bar.positive"), pos)
	same("unanswered bars", values("#chart-unanswered rect.bar.unanswered"), unans)
	gotShare := values("#chart-share circle.pt.share")
	for i := range share {
		if i >= len(gotShare) || math.Abs(gotShare[i]-share[i]) > 1e-9 {
			t.Errorf("complaint share drawn %v, want %v", gotShare, share)
			break
		}
	}
	sev := api.Totals.Severity
	same("severity bars", values("#chart-severity rect.bar"), []float64{sev["1"], sev["2"], sev["3"], sev["4"]})
	var rt []float64
	for _, bkt := range api.Totals.ResponseTime {
		rt = append(rt, bkt.Count)
	}
	same("response time bars", values("#chart-response rect.bar"), rt)
	same("audit bars", values("#chart-audit rect.bar"), []float64{api.Totals.Audit.Pass, api.Totals.Audit.Fail})
	// Bar heights follow the values: the tallest bar is the largest value.
	heights := evalJS[[]float64](t, b, `[...document.querySelectorAll('#chart-volume rect.bar.mentions')].map(r => Number(r.getAttribute('height')))`)
	for i := 1; i < len(heights); i++ {
		if (heights[i] > heights[i-1]) != (mentions[i] > mentions[i-1]) {
			t.Errorf("bar heights %v do not follow the values %v", heights, mentions)
			break
		}
	}
	// The labels: the severity values as text, a tooltip per bar, the
	// target line on the response times, the KPI with its comparison.
	if got := evalJS[string](t, b, `document.querySelector('#chart-severity text.bvalue[data-key="4"]').textContent`); got != fmt.Sprintf("%v (prev %v)", sev["4"], api.PreviousTotals.Severity["4"]) {
		t.Errorf("severity 4 label %q", got)
	}
	if got := evalJS[string](t, b, `document.querySelector('#chart-volume rect.bar.mentions title').textContent`); !strings.Contains(got, fmt.Sprint(mentions[0])+" mentions") {
		t.Errorf("first bar's tooltip %q", got)
	}
	if !evalJS[bool](t, b, `document.querySelector('#chart-response line.target') !== null`) {
		t.Error("no target line on the response times")
	}
	if got, want := evalJS[string](t, b, `document.querySelector('[data-kpi=mentions] .value').textContent`), fmt.Sprint(api.Totals.Mentions); got != want {
		t.Errorf("mentions KPI %q, want %q", got, want)
	}
	if got, want := evalJS[string](t, b, `document.querySelector('[data-kpi=mentions] .delta').textContent`), fmt.Sprintf("vs %v before", api.PreviousTotals.Mentions); !strings.HasSuffix(got, want) {
		t.Errorf("mentions KPI comparison %q, want …%q", got, want)
	}
	rows := evalJS[[]string](t, b, `[...document.querySelectorAll('#table-sources tbody th')].map(e => e.textContent)`)
	if len(api.BySource) == 0 || len(rows) != len(api.BySource) || rows[0] != api.BySource[0].Source {
		t.Errorf("source table rows %v, API %v", rows, api.BySource)
	}
	if len(api.Topics) == 0 {
		t.Error("no topics to compare: the seed should produce some")
	}
	for _, tp := range api.Topics {
		row := evalJS[[]string](t, b, `[...document.querySelectorAll('#table-topics tbody tr')].map(r => [...r.children].map(c => c.textContent).join('|')).filter(r => r.startsWith(`+js(tp.Topic+"|")+`))`)
		diff := tp.Count - tp.Previous
		want := fmt.Sprintf("%s|%v|%v|%v", tp.Topic, tp.Count, tp.Previous, diff)
		if diff > 0 {
			want = fmt.Sprintf("%s|%v|%v|+%v", tp.Topic, tp.Count, tp.Previous, diff)
		}
		if len(row) != 1 || row[0] != want {
			t.Errorf("topic row %q, want %q", row, want)
		}
	}

	// Both exports download with the page's session.
	for _, format := range []string{"csv", "json"} {
		got := awaitJS[map[string]string](t, b, `(async () => { const a = document.getElementById('export-`+format+`'); const r = await fetch(a.getAttribute('href')); return {status: String(r.status), disposition: r.headers.get('Content-Disposition') || '', type: r.headers.get('Content-Type') || '', body: await r.text(), download: a.getAttribute('download') || ''}; })()`)
		if got["status"] != "200" || !strings.Contains(got["disposition"], "attachment") || got["download"] == "" {
			t.Errorf("%s export: %v", format, got)
			continue
		}
		// The download's total row holds the total the page shows.
		var total string
		switch format {
		case "csv":
			recs, err := csv.NewReader(strings.NewReader(got["body"])).ReadAll()
			if err != nil || len(recs) < 2 {
				t.Errorf("csv export %q: %v", clip(got["body"], 300), err)
				continue
			}
			col := slices.Index(recs[0], "mentions")
			for _, r := range recs[1:] {
				if r[0] == "total" && col >= 0 {
					total = r[col]
				}
			}
		case "json":
			var doc struct {
				Rows []struct {
					Row    string
					Totals struct{ Mentions float64 }
				}
			}
			if err := json.Unmarshal([]byte(got["body"]), &doc); err != nil {
				t.Errorf("json export %q: %v", clip(got["body"], 300), err)
				continue
			}
			for _, r := range doc.Rows {
				if r.Row == "total" {
					total = fmt.Sprint(r.Totals.Mentions)
				}
			}
		}
		if total != fmt.Sprint(api.Totals.Mentions) {
			t.Errorf("%s export: total mentions %q, the page shows %v", format, total, api.Totals.Mentions)
		}
	}
	b.screenshot(t, "history")

	// A digest's link opens the history on its own period.
	from3 := to.Add(-3 * 24 * time.Hour)
	link := url.Values{"from": {from3.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	b.do(t, chromedp.Navigate(ts.URL+"/#/history/"+link.Encode()))
	b.waitJS(t, "the linked period", `(() => { const q = new URLSearchParams(document.getElementById('export-csv').getAttribute('href').split('?')[1]); return Date.parse(q.get('from')) === `+fmt.Sprint(from3.UnixMilli())+` && Date.parse(q.get('to')) === `+fmt.Sprint(to.UnixMilli())+`; })()`)
	if v := evalJS[string](t, b, `document.getElementById('hf-period').value`); v != "custom" {
		t.Errorf("period picker shows %q for a linked period, want custom", v)
	}

	// Marketing cannot open the agents' screens either.
	b.do(t, chromedp.Navigate(ts.URL+"/#/queue"))
	b.waitJS(t, "not allowed", `!document.getElementById('screen-forbidden').hidden && document.getElementById('screen-queue').hidden`)
	b.checkProblems(t, httpErrors(401))
}

// sessionCookies are the browser's cookies for url, as a Cookie header.
func (b *browser) sessionCookies(t *testing.T, url string) string {
	t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{url + "/"}})
	}))
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range res.Cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// TestBrowserLoginAndRoles: without a session the login screen shows; a
// wrong password is refused; each role's nav holds its screens only; a
// screen outside the role says so; logging out ends the session.
func TestBrowserLoginAndRoles(t *testing.T) {
	st := newTestStore(t)
	ts, _ := startDashboard(t, st, map[string]string{"sari": "agent", "lena": "lead", "maya": "marketing", "adi": "admin"})
	b := newBrowser(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#/queue"))
	b.waitJS(t, "the login screen", `!document.getElementById('screen-login').hidden && document.getElementById('screen-queue').hidden`)
	if n := evalJS[int](t, b, `document.querySelectorAll('#nav a').length`); n != 0 {
		t.Errorf("%d nav links before login", n)
	}
	b.screenshot(t, "login")
	b.do(t,
		chromedp.SendKeys(chromedp.ID("login-user"), "sari"),
		chromedp.SendKeys(chromedp.ID("login-pass"), "wrong"),
		chromedp.Click(chromedp.ID("login-submit")),
	)
	b.waitJS(t, "the refusal", has("login-error", "Wrong user name or password"))

	navs := map[string]string{
		"sari": "queue,alerts,sources",
		"lena": "queue,alerts,history,sources,audit",
		"maya": "history",
		"adi":  "queue,alerts,history,sources,audit",
	}
	for _, user := range []string{"sari", "lena", "maya", "adi"} {
		u := newBrowser(t)
		u.login(t, ts.URL, user)
		if got := strings.Join(evalJS[[]string](t, u, `[...document.querySelectorAll('#nav a')].map(a => a.dataset.screen)`), ","); got != navs[user] {
			t.Errorf("%s's nav: %s, want %s", user, got, navs[user])
		}
		if user == "sari" {
			u.do(t, chromedp.Navigate(ts.URL+"/#/audit"))
			u.waitJS(t, "audit refused to an agent", `!document.getElementById('screen-forbidden').hidden`)
			u.do(t, chromedp.Navigate(ts.URL+"/#/history"))
			u.waitJS(t, "history refused to an agent", `!document.getElementById('screen-forbidden').hidden`)
			u.do(t, chromedp.Click(chromedp.ID("logout")))
			u.waitJS(t, "logged out", `!document.getElementById('screen-login').hidden`)
			if code := awaitJS[int](t, u, `fetch('api/me').then(r => r.status)`); code != 401 {
				t.Errorf("after logout /api/me answers %d, want 401", code)
			}
		}
		u.checkProblems(t, httpErrors(401, 403))
	}
	b.checkProblems(t, httpErrors(401))
}

// TestMarketingCannotActOnMentions: the server, not just the page, refuses
// a marketing user's change to a mention. The requests carry the marketing
// session cookie and its CSRF token, from the page and from outside it.
func TestMarketingCannotActOnMentions(t *testing.T) {
	st := newTestStore(t)
	ingest(t, st, mention("m1", "Refund belum masuk"))
	ts, _ := startDashboard(t, st, map[string]string{"maya": "marketing"})
	b := newBrowser(t)
	b.login(t, ts.URL, "maya")

	// From the page, with everything the page would send.
	got := awaitJS[map[string]string](t, b, `(async () => {
		const me = await (await fetch('api/me')).json();
		const r = await fetch('api/handling/' + encodeURIComponent('rss:m1'), {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf}, body: JSON.stringify({action: 'resolved', note: 'x'})});
		const q = await fetch('api/queue');
		return {role: me.role, handling: String(r.status), queue: String(q.status)};
	})()`)
	if got["role"] != "marketing" || got["handling"] != "403" || got["queue"] != "403" {
		t.Errorf("marketing from the page: %v, want 403 for the handling and the queue", got)
	}
	// From outside the page, with the session cookie and token.
	cookie := b.sessionCookies(t, ts.URL)
	if cookie == "" {
		t.Fatal("no session cookie")
	}
	csrf := awaitJS[string](t, b, `fetch('api/me').then(r => r.json()).then(d => d.csrf)`)
	for _, action := range []string{"assign", "resolved", "private", "no_reply", "answered"} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/handling/"+url.PathEscape("rss:m1"), strings.NewReader(`{"action":"`+action+`","note":""}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-CSRF-Token", csrf)
		req.Header.Set("Origin", ts.URL)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("marketing %s: status %d, want 403", action, resp.StatusCode)
		}
	}
	if m, _, _ := st.Mention("rss:m1"); m.Handling != "" || m.AssignedTo != "" {
		t.Errorf("the mention changed: handling %q, assigned %q", m.Handling, m.AssignedTo)
	}
	b.checkProblems(t, httpErrors(401, 403))
}

// TestBrowserSourcesAndSettings: source health live, and the effective
// configuration for admins only, secrets masked.
func TestBrowserSourcesAndSettings(t *testing.T) {
	st := newTestStore(t)
	ingest(t, st, mention("s1", "hello"))
	now := time.Now()
	if _, err := st.RecordSourceError("reddit", "reddit", now, "HTTP 429 Too Many Requests", now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	ts, _ := startDashboard(t, st, map[string]string{"adi": "admin", "sari": "agent"})
	b := newBrowser(t)
	b.login(t, ts.URL, "adi")
	b.waitLive(t)
	b.do(t, chromedp.Navigate(ts.URL+"/#/sources"))
	b.waitJS(t, "the sources", `document.querySelectorAll('#sources li').length === 2 && `+has("sources", "HTTP 429 Too Many Requests"))
	b.waitJS(t, "the configuration", has("config", "public_url")+` && `+has("config", "<secret>"))
	if n := evalJS[int](t, b, `document.querySelectorAll('#config .cfg-secret').length`); n < 1 {
		t.Error("secret not marked as such")
	}
	// A source recovers live.
	if _, err := st.Ingest(store.Batch{Source: "reddit", Kind: "reddit", Mentions: []store.Mention{mention("s2", "back")}}); err != nil {
		t.Fatal(err)
	}
	b.waitJS(t, "the recovery", `document.querySelector('#sources li[data-source=reddit]').classList.contains('ok')`)

	agent := newBrowser(t)
	agent.login(t, ts.URL, "sari")
	agent.do(t, chromedp.Navigate(ts.URL+"/#/sources"))
	agent.waitJS(t, "the agent's sources", `document.querySelectorAll('#sources li').length === 2`)
	agent.waitJS(t, "no configuration for agents", has("config", "admins only"))
	b.checkProblems(t, httpErrors(401))
	agent.checkProblems(t, httpErrors(401))
}

// TestBrowserRevealIsForLeads: a mention's personal data arrives masked;
// a lead can show it on purpose (audited under their name), an agent has
// no such button and the server refuses the agent all the same.
func TestBrowserRevealIsForLeads(t *testing.T) {
	st := newTestStore(t)
	text := "Tolong hubungi saya di 081234567890 ya min"
	ingest(t, st, mention("p1", text))
	start := strings.Index(text, "0812")
	sc := score(0.7, 2, "id")
	sc.PII = []store.Span{{Kind: "phone", Start: start, End: start + 12}}
	saveScore(t, st, "rss:p1", sc)
	ts, _ := startDashboard(t, st, map[string]string{"lena": "lead", "sari": "agent"})

	lead := newBrowser(t)
	lead.login(t, ts.URL, "lena")
	lead.do(t, chromedp.Navigate(ts.URL+"/#/mention/rss%3Ap1"))
	lead.waitJS(t, "the masked text", `document.getElementById('detail').dataset.key === 'rss:p1' && document.querySelector('#detail .post.current .text') !== null`)
	if shown := evalJS[string](t, lead, `document.querySelector('#detail .post.current .text').textContent`); strings.Contains(shown, "081234567890") {
		t.Fatalf("personal data shown before asking: %q", shown)
	}
	lead.do(t, chromedp.Click(chromedp.CSS("#detail .reveal")))
	lead.waitJS(t, "the original text", `document.querySelector('#detail .post.current .text').textContent === `+js(text))
	lead.do(t, chromedp.Navigate(ts.URL+"/#/audit"))
	lead.waitJS(t, "the reveal audited", has("audit-rows", "mention.reveal")+` && `+has("audit-rows", "lena"))

	agent := newBrowser(t)
	agent.login(t, ts.URL, "sari")
	agent.do(t, chromedp.Navigate(ts.URL+"/#/mention/rss%3Ap1"))
	agent.waitJS(t, "the agent's detail", `document.getElementById('detail').dataset.key === 'rss:p1'`)
	if n := evalJS[int](t, agent, `document.querySelectorAll('#detail .reveal').length`); n != 0 {
		t.Error("an agent has the reveal button")
	}
	code := awaitJS[int](t, agent, `fetch('api/me').then(r => r.json()).then(me => fetch('api/reveal/rss%3Ap1', {method: 'POST', headers: {'X-CSRF-Token': me.csrf}})).then(r => r.status)`)
	if code != 403 {
		t.Errorf("an agent's reveal: status %d, want 403", code)
	}
	lead.checkProblems(t, httpErrors(401))
	agent.checkProblems(t, httpErrors(401, 403))
}
