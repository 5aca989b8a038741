package alerting

import (
	"slices"
	"strings"
)

// Conversation cues: a customer nudging an unanswered post, and a brand
// reply moving the conversation to a private channel. They do not change
// the text's scores; the composed scorer reads them across a thread
// (escalation on the first post, virality damped by a private reply).
//
// Phrases are written in natural spelling and compiled to the lexicon's
// canonical words, so "ditunggu balasan" also matches "nunggu balesannya"
// (the tokenizer strips "-nya"; write cues without such suffixes).

// followUpCues are phrases that nudge an earlier post.
var followUpCues = []string{
	// English.
	"still waiting", "still nothing", "still no news", "any update", "any updates", "any news",
	"anyone there", "anybody there", "anyone home", "is anyone", "following up", "follow up",
	"asking again", "asked again", "asked twice", "ignoring me", "ignored me", "hello again",
	// Indonesian.
	"kapan dibalas", "kapan direspon", "kapan dijawab", "mohon dibalas", "tolong dibalas",
	"tolong direspon", "tolong dijawab", "tolong ditanggapi", "mohon direspon", "mohon ditanggapi",
	"ditunggu balasan", "ditunggu respon", "ditunggu jawaban", "masih nunggu", "mana nih",
	"mana balasan", "kok diem", "kok diam", "kok lama", "dicuekin", "ghosting", "halo min",
	"tanya lagi", "nanya lagi",
}

// replyWords are the canonical words that, negated, say nobody answered:
// "no reply yet", "gak dibales", "belum ada respon", "haven't heard back".
// Besides the negation the analysis finds, each also makes the cues
// "{neg} word" and "still {neg} word": a scoring pattern such as
// "kok {neg}" or "still {neg}" takes the negator for itself, so in
// "kok gak dibales" the analysis never sees "dibales" negated.
var replyWords = []string{"replied", "responded", "answered", "heard", "dibalas", "direspon", "respon", "ditanggapi", "dijawab"}

// nudgeWords make up a whole post that only pokes the brand: "min??",
// "halo kak?", "hello???", "up", "p".
var nudgeWords = []string{"min", "admin", "kak", "halo", "hallo", "helo", "hello", "hi", "hey", "anyone", "anybody",
	"ping", "bump", "up", "p", "woy", "woi", "oi", "gan", "sis", "bang", "mas", "mba", "please", "tolong", "mohon"}

// privateCues are phrases that move a conversation off the public channel.
var privateCues = []string{
	"dm", "pm", "inbox", "email", "emailed", "e mail", "surel", "whatsapp", "wa", "japri", "telepon", "hotline",
	"direct message", "private message", "privately", "in private", "call us", "contact us", "reach out",
	"call center", "live chat", "pesan pribadi", "chat pribadi", "jalur pribadi", "pesan langsung",
	"kirim pesan", "hubungi kami",
}

// followUpPhrases is followUpCues with the negated reply words.
func followUpPhrases() []string {
	out := slices.Clone(followUpCues)
	for _, w := range replyWords {
		out = append(out, slotNeg+" "+w, "still "+slotNeg+" "+w)
	}
	return out
}

// compileCues turns phrases into patterns keyed by their first element,
// each word replaced by its canonical spelling.
func (lx *lexicon) compileCues(phrases []string) map[string][]*compiledPattern {
	out := make(map[string][]*compiledPattern, len(phrases))
	for _, ph := range phrases {
		elems := strings.Fields(ph)
		for i, el := range elems {
			if e := lx.words[el]; e != nil {
				elems[i] = e.canon
			}
		}
		out[elems[0]] = append(out[elems[0]], &compiledPattern{elems: elems})
	}
	return out
}

// cueAt reports whether one of the cues starts at token i.
func (z *scratch) cueAt(cues map[string][]*compiledPattern, i int) bool {
	t := &z.toks[i]
	if t.kind != tWord {
		return false
	}
	var list []*compiledPattern
	if t.ent != nil {
		list = cues[t.ent.canon]
	} else {
		list = cues[string(z.text(t))] // indexing with string(bytes) does not allocate
	}
	for _, p := range list {
		if z.matchAt(p, i) > 0 {
			return true
		}
	}
	if t.ent != nil && t.ent.f&fNeg != 0 {
		for _, p := range cues[slotNeg] {
			if z.matchAt(p, i) > 0 {
				return true
			}
		}
	}
	return false
}

// canon is a word token's canonical spelling, or its text when the
// lexicon does not know it.
func (z *scratch) canon(t *token) string {
	if t.ent != nil {
		return t.ent.canon
	}
	return string(z.text(t))
}

// followUp reports whether the tokens (already analysed into a) nudge an
// earlier post.
func (z *scratch) followUp(lx *lexicon, a *analysis) bool {
	// A post of nothing but nudges ("min??", "halo kak", "???").
	if a.words <= 3 {
		all := true
		for i := range z.toks {
			t := &z.toks[i]
			if t.kind == tWord && !isNudge(z.canon(t)) {
				all = false
				break
			}
		}
		if all && (a.words > 0 || a.questions >= 2) {
			return true
		}
	}
	// "no reply", "gak dibales", "belum ada respon".
	for _, sp := range z.spans[spNegated] {
		if e := z.toks[sp.e].ent; e != nil && isReplyWord(e.canon) {
			return true
		}
	}
	for i := range z.toks {
		if z.cueAt(lx.followUps, i) {
			return true
		}
	}
	return false
}

// private reports whether the text moves the conversation to a private
// channel.
func (z *scratch) private(lx *lexicon) bool {
	for i := range z.toks {
		if z.cueAt(lx.privates, i) {
			return true
		}
	}
	return false
}

func isNudge(w string) bool {
	for _, n := range nudgeWords {
		if w == n {
			return true
		}
	}
	return false
}

func isReplyWord(w string) bool {
	for _, r := range replyWords {
		if w == r {
			return true
		}
	}
	return false
}
