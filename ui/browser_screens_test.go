package ui

import (
	"strings"
	"testing"
	"time"

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
	ts, _ := startDashboard(t, st)
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
	ts, _ := startDashboard(t, st)
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
	ts, f := startDashboard(t, st)
	f.addUser("sari", "agent")
	f.addUser("budi", "agent")
	f.addUser("lena", "lead")

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
