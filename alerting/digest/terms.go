package digest

import (
	"strings"
	"unicode"
)

// Terms returns the distinct words of a complaint worth counting as a
// topic: lower-cased words of letters only (no numbers, so no masked phone
// numbers or order ids), at least three letters, without handles, links,
// e-mail addresses and common English and Indonesian function words. Run
// it on masked text.
func Terms(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.Fields(text) {
		if strings.HasPrefix(f, "@") || strings.Contains(f, "://") || strings.HasPrefix(f, "www.") || strings.Contains(f, "@") {
			continue
		}
		// Hashtags count as their word.
		f = strings.TrimPrefix(f, "#")
		w := strings.ToLower(strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) }))
		if len([]rune(w)) < 3 || !strings.ContainsFunc(w, unicode.IsLetter) || strings.ContainsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '\'' }) {
			continue
		}
		if stopwords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// stopwords are words every complaint has, in English and Indonesian
// (formal and chat spellings), that say nothing about its topic.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
the and for you your are was were but not this that with have has had from they them their
our out all any can can't cant could would should will just what when where which who why how
been being there here than then too very also into about after before again still even only
its it's i'm im i've don't dont didn't didnt doesn't doesnt isn't isnt wasn't won't wont
get got getting let lets one two more most some such own same other over under off now
anyone anybody someone somebody everyone nobody something anything nothing today yesterday
please know like since back want need really much many every way thing things make made
yang dan di ke dari ini itu aja saja udah udh sudah sdh belum blm gak gk ga nggak ngga enggak tidak tdk
kok sih dong deh nih tuh lah kah pun juga lagi lg masih msh buat untuk utk sama dgn dengan
min mimin kak kakak gan bang mas mbak bro sis pak bu ada adalah akan bisa bs mau mo jadi jd
apa apakah kenapa knp gimana bagaimana kapan dimana mana siapa karena krn tapi tp atau trs terus
saya aku gue gw gua kamu lu lo elo kalian kami kita mereka dia nya punya
sangat banget bgt bngt kali pas kalo kalau klo sampai sampe hari jam
`) {
		m[w] = true
	}
	return m
}()
