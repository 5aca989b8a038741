package alerting

import (
	"fmt"
	"strings"
)

// This file holds the text scorer's hand-written word lists. Every word here
// was written for Pantau; none is copied from a third-party lexicon or data
// set, so the lists can ship in the binary. They are deliberately small: the
// skeleton scorer must be honest and explainable, and a later, tuned model
// replaces the numbers.
//
// Conventions:
//   - Words are lower case, in their canonical spelling. Informal spellings
//     ("bgt", "udh", "gk") are aliases: they share the canonical word's entry,
//     so patterns and reasons only need the canonical form.
//   - val is the valence, -4 (very negative) .. +4 (very positive).
//   - cw is the complaint weight, 0..1: how strongly the word on its own says
//     "something went wrong with what you sold me", independent of emotion.
//     "refund" is barely emotional but almost always a complaint; "sad" is
//     emotional but rarely a complaint about a brand.

// flag marks what a word does for the scorer.
type flag uint32

const (
	fEN       flag = 1 << iota // English word: evidence for language detection
	fID                        // Indonesian word (informal forms included)
	fForeign                   // common word of a language we do not score
	fNeg                       // negator: flips or damps the next sentiment word
	fInt                       // intensifier: amplifies a neighbouring sentiment word
	fDamp                      // dampener: weakens the next sentiment word
	fBut                       // contrast: what follows outweighs what came before
	fEval                      // explicit disapproval of the brand or product (severity 2)
	fAccuse                    // accusation of dishonesty (severity 3)
	fThreat                    // threat to escalate: legal, regulator, boycott, going public (severity 4)
	fArousal                   // a call to others ("beware", "viralkan"): raises virality
	fNegCompl                  // negated, it is a complaint: "belum sampai", "no reply", "not working"
	fKeep                      // negation keeps its complaint weight: "no refund" is still about a refund
	fRepeat                    // "lagi", "again": with a complaint, a problem that keeps happening
	fDomain                    // something customers complain about: order, paket, akun
	fNum                       // a number word in a duration: "tiga hari", "two weeks"
	fTime                      // a time unit in a duration
	fDur                       // a duration on its own: "seminggu", "ages"
	fAcronym                   // normally written in capitals: not shouting
)

// lexWord is one scored word with its informal spellings.
type lexWord struct {
	word    string
	val     float64
	cw      float64
	f       flag
	aliases string // space-separated
}

// entry is what the tokenizer finds for a word.
type entry struct {
	canon string // canonical spelling, used by patterns
	val   float64
	cw    float64
	f     flag
}

// pat is a multi-word complaint (or praise) pattern. Elements are canonical
// words or slots: {neg} matches any negator, {dur} a duration ("3 hari",
// "seminggu", "two weeks", "ages").
type pat struct {
	text string
	val  float64
	cw   float64
	f    flag
}

// --- Function words: language evidence only. -----------------------------

// English function and very common words. Short words that are also common
// in Spanish, French, German, Italian or Portuguese ("a", "no", "in", "on",
// "me", "do", "so", "am", "an") are left out on purpose: a Spanish "no me
// gusta" must not look English.
const enFunction = `the and or of to at for with from by about as is are was were be been being
i i'm im you your you're youre we our us they their them he she his her it it's its this that
these those my mine have has had having does did will would should could can may might must
just also only still yet already again there here what when where why how who which whose if then
than because since until while after before into out up over under more most some any all every
each other another own same too very please thanks sir anyone someone something anything
everyone get got getting going gone went make made know want need told said say tell let ever
even now today yesterday tomorrow week back off down like well way new first last time thing
people pls:plz btw lol ugh via what's:whats where's:wheres i've:ive you've`

// Indonesian function words, particles and forms of address, with their
// informal spellings ("canonical:alias,alias").
const idFunction = `yang:yg dan:dn di ke dari:dr ini:ni itu:tu ada saya:sy,sya aku:ak,aq gue:gw,gua kamu:km,kmu
anda kami kita mereka dia untuk:utk,untk,buat sama:sm dengan:dgn,dg pada karena:krn,karna,soalnya
kalau:kalo,klo,kl jika tapi:tp,tpi tetapi namun atau:ato juga:jg sudah:udh,udah,dah,sdh,uda,udahan,sdah
akan mau:mo bisa:bs,bsa harus:hrs masih:msh,masi,msih sedang lagi:lg,lgi saja:aja,aj cuma:cm,cuman,cuman
hanya sih:si dong:donk deh nih tuh kok:kog kan ya:yaa,iya,iyaa,yah apa:ap apakah kapan:kpn mana:mn
dimana:dmn kenapa:knp,knapa,napa,ngapa mengapa gimana:gmn,gmna,gmana bagaimana berapa:brp siapa
tolong:tlg,tlong mohon:mhn min:mimin kak:ka,kakak,kk gan sis bang mas mba:mbak,mbk pak bu
terus:trs,trus lalu setelah sebelum sampai:nyampe,nyampai,sampe,smpe,nyampek hingga sejak oleh agar
supaya biar jadi:jd sekarang:skrg,skrng,skg,skrang kemarin:kmrn,kemaren,kmren besok:bsk tadi:td
memang:emg,emang,mmg gitu:gt,gtu begitu belum:blm,blom,belom,blum pernah:prnh
nya lah pun dulu baru banget:bgt,bngt,bgtt,bnget,bangat sangat:sgt sekali:skali,skli
terima kasih tanya nanya pesan beli:bli dibeli membeli nunggu:nungguin,menunggu,ditunggu
dapat:dpt,dapet bukan:bkn
promo diskon harga gratis berikut selanjutnya info stok ongkos belanja adalah dalam ingin kepada
antara atas seperti paling lu:lo,elu benar semua banyak bikin sendiri lebih tentang bahwa secara saat
setiap selama para dasar sok sering:sring tidak:tdk,gak,ga,gk,nggak,ngga,enggak,engga,kagak,ndak,nda,gag,gaada,gada
tak belum jangan:jgn,jngn kurang:krg,kurng tanpa`

// Common words of languages the scorer does not know. When they outnumber
// the English and Indonesian words, the text is not scored: a French or
// Spanish complaint must not be read with Indonesian or English eyes. Words
// that are also Indonesian ("para", "es", "pas", "mas", "dia", "lo") or
// English ("die", "van", "war") are left out.
const foreignFunction = `le les des est je et une du que qui très mais pour avec dans sur vous nous mon ce
cette suis au aux c'est j'ai n'est ça été aussi donc mes tout rien jamais encore déjà merci bonjour
el los las muy pero por una del está estoy tengo tiene nada todo hasta gracias hola porque también
cuando donde usted yo eso esto hace
não muito com uma você obrigado obrigada isso nao eu meu minha ainda
molto sono il che della questo perché anche grazie ciao sempre niente ancora
der das und ist nicht ich sehr mit ein eine auf sie wir aber schon noch kein keine mein meine bitte
danke nur auch immer
het een niet ik zijn wel ook maar dat voor bij geen heb mijn
hindi po ako ito yung talaga mga ng ang salamat ninyo namin kayo siya
och jag inte det är att som för har ikke og jeg
bir ve bu çok ama için değil ben
nie jest się że jak czy
không tôi của và là có được rất này những`

// --- Structure words. -------------------------------------------------------

// Negators. English contractions ending in "n't" are negators too, even
// when not listed (the tokenizer checks the suffix). "no" is a negator but no
// evidence of English: Spanish and Italian write it too.
const enNegators = `not never nothing nobody none neither nor cannot can't cant don't dont doesn't doesnt
didn't didnt isn't isnt wasn't wasnt aren't arent won't wont wouldn't wouldnt haven't havent
hasn't hasnt hadn't shouldn't couldn't couldnt without ain't`

// Indonesian negators: tidak and its many informal spellings, tak, bukan,
// belum ("not yet": the heart of "belum sampai"), jangan ("don't"), kurang
// ("not enough": "kurang ramah" is disapproval) and tanpa ("without").
const idNegators = `tidak tak bukan belum jangan kurang tanpa`

// Intensifiers amplify the sentiment word before or after them: English puts
// them before ("very slow"), Indonesian usually after ("lambat banget").
const enIntensifiers = `very so really extremely super totally absolutely completely too incredibly
seriously utterly highly such damn bloody most`
const idIntensifiers = `banget sangat sekali amat terlalu:tlalu,trlalu bener:bnr beneran pol:poll abis makin:tambah`

// Dampeners weaken the next sentiment word: "agak lambat", "a bit slow".
const enDampeners = `slightly somewhat kinda bit little fairly`
const idDampeners = `agak:agk sedikit:dikit,sdikit,sdkt cukup:ckp`

// Contrast words: in "bagus tapi lama" the part after "tapi" matters more.
const enContrast = `but however although though`
const idContrast = `tapi tetapi namun padahal`

// Repetition: "error lagi", "again", "mulu". With other evidence of a
// problem, a problem that keeps coming back.
const enRepeat = `again another always`
const idRepeat = `lagi terus mulu:melulu,mlulu selalu:sll kesekian berkali`

// Things customers complain about. With negativity nearby they make a
// complaint about the brand (not about the weather) more likely.
const enDomain = `order orders package parcel delivery shipment item product account app website site
service support customer courier driver payment money card subscription bill invoice store shop
staff agent tracking`
const idDomain = `pesanan:psnan,orderan paket:pkt barang:brg,barangnya pengiriman kiriman kurir resi akun aplikasi:apk,apps
pelayanan:layanan cs toko ongkir saldo uang:duit dana transfer pembayaran:bayar tagihan voucher produk
ojol driver pesanannya`

// Durations: "sudah 3 hari", "udah seminggu", "for two weeks".
const numberWords = `a an one two three four five six seven eight nine ten few several couple
satu dua tiga empat lima enam tujuh delapan sembilan sepuluh beberapa`
const timeUnits = `day days week weeks month months hour hours hr hrs minute minutes min mins year years
hari jam menit minggu:mgg bulan:bln tahun:thn`
const durationWords = `ages forever days weeks months hours seminggu sebulan sejam setahun seharian berhari
berminggu berbulan bertahun lama`

// Acronyms people write in capitals anyway: not shouting.
const acronyms = `ylki bpkn ojk bpsk bpom kominfo cs ftc bbb fcc ok otp cod atm pin dm sms wa id bca bri bni
pln jne jnt tiki ups usps dhl fedex tv pc usb ssd gpu cpu ios os api url faq vip ceo hp pdf`

// --- Scored words. ----------------------------------------------------------

// English words that describe a problem (a fact, not a judgement).
var enProblems = []lexWord{
	{"broken", -2, 1, 0, "broke"},
	{"damaged", -2, 1, 0, ""},
	{"defective", -2.3, 1, 0, ""},
	{"faulty", -2, 1, 0, ""},
	{"missing", -1.5, 1, 0, ""},
	{"lost", -1.5, 0.8, 0, ""},
	{"late", -1.3, 0.8, 0, ""},
	{"delayed", -1.5, 1, 0, "delay delays"},
	{"wrong", -1.5, 0.8, 0, ""},
	{"glitch", -1.2, 0.8, 0, "glitchy glitches"},
	{"failed", -1.8, 1, 0, "fail fails failing failure"},
	{"outage", -1.8, 1, 0, ""},
	{"stuck", -1.3, 0.8, 0, ""},
	{"cancelled", -1.2, 0.8, 0, "canceled"},
	{"overcharged", -2, 1, 0, ""},
	{"locked", -1, 0.6, 0, ""},
	{"blocked", -1.3, 0.8, 0, ""},
	{"suspended", -1.3, 0.8, 0, ""},
	{"declined", -1.2, 0.7, 0, ""},
	{"problem", -1.2, 0.8, 0, "problems"},
	{"issue", -0.8, 0.7, 0, "issues"},
	{"trouble", -1.3, 0.7, 0, ""},
	{"slow", -1.5, 0.8, 0, "slower"},
	{"waiting", -0.4, 0.4, 0, "waited"},
	{"compensation", -0.5, 0.8, fKeep, ""},
	{"replacement", -0.3, 0.5, fKeep, ""},
	{"complaint", -1, 1, 0, "complaints complain complaining"},
	{"expensive", -1, 0.3, 0, ""},
	{"dirty", -1.8, 0.5, 0, ""},
	{"unable", -1, 0.6, 0, ""},
	{"mistake", -1.3, 0.7, 0, "mistakes"},
	{"unresolved", -1.8, 1, 0, ""},
	{"hacked", -2, 1, 0, ""},
}

// English judgements: the customer disapproves (severity 2).
var enDisapproval = []lexWord{
	{"disappointed", -2.5, 1, fEval, "disappointing disappointment"},
	{"frustrated", -2.3, 1, fEval, "frustrating frustration"},
	{"annoyed", -2, 0.8, fEval, "annoying"},
	{"angry", -2.5, 0.6, fEval, ""},
	{"furious", -3, 0.8, fEval, ""},
	{"upset", -2, 0.8, fEval, ""},
	{"unacceptable", -3, 1, fEval, ""},
	{"ridiculous", -2.5, 0.8, fEval, ""},
	{"pathetic", -3, 1, fEval, ""},
	{"terrible", -3, 0.8, fEval, "terribly"},
	{"horrible", -3, 0.8, fEval, ""},
	{"awful", -3, 0.8, fEval, ""},
	{"worst", -3.2, 1, fEval, ""},
	{"bad", -2.2, 0.3, fEval, "badly"},
	{"poor", -2, 0.6, fEval, "poorly"},
	{"useless", -2.8, 1, fEval, ""},
	{"rubbish", -2.5, 0.8, fEval, ""},
	{"garbage", -2.8, 0.8, fEval, ""},
	{"crap", -2.5, 0.6, fEval, "crappy"},
	{"sucks", -2.5, 0.8, fEval, "suck"},
	{"hate", -2.8, 0.5, fEval, "hated hates"},
	{"rude", -2.5, 1, fEval, ""},
	{"incompetent", -3, 1, fEval, "incompetence"},
	{"unprofessional", -2.8, 1, fEval, ""},
	{"unhelpful", -2.5, 1, fEval, ""},
	{"ignored", -2.2, 1, fEval, "ignoring ignore"},
	{"nightmare", -2.8, 0.8, fEval, ""},
	{"disgusting", -3, 0.8, fEval, ""},
	{"disgrace", -3, 1, fEval, "disgraceful"},
	{"shameful", -2.5, 1, fEval, ""},
	{"shame", -1.8, 0.6, fEval, ""},
	{"appalling", -3, 1, fEval, ""},
	{"shocking", -2.5, 0.8, fEval, ""},
	{"lousy", -2.5, 0.8, fEval, ""},
	{"unhappy", -2.3, 1, fEval, ""},
	{"dissatisfied", -2.5, 1, fEval, ""},
	{"hopeless", -2.5, 0.8, fEval, ""},
	{"sad", -1.8, 0.3, 0, ""},
}

// English accusations of dishonesty (severity 3).
var enAccusations = []lexWord{
	{"scam", -3, 1, fAccuse, "scammed scammer scammers scams scamming"},
	{"fraud", -3.2, 1, fAccuse, "fraudulent fraudster"},
	{"lied", -2.8, 1, fAccuse, "lie lies lying"},
	{"liar", -3, 1, fAccuse, "liars"},
	{"cheated", -3, 1, fAccuse, "cheat cheating cheats"},
	{"stole", -3, 1, fAccuse, "steal stealing"},
	{"thief", -3, 1, fAccuse, "thieves"},
	{"robbed", -3, 1, fAccuse, "robbery"},
	{"misleading", -2.5, 1, fAccuse, ""},
	{"deceptive", -2.8, 1, fAccuse, "deceived deceive"},
	{"dishonest", -3, 1, fAccuse, ""},
	{"fake", -2, 0.8, fAccuse, ""},
	{"ripoff", -3, 1, fAccuse, ""},
}

// English threats to escalate (severity 4). The first group is explicit;
// the second names an authority or an audience and is weak on its own.
var enThreats = []lexWord{
	{"sue", -1.5, 0.8, fThreat, "suing sued"},
	{"lawsuit", -1.5, 0.8, fThreat, ""},
	{"boycott", -2, 0.8, fThreat | fArousal, "boycotting"},
	{"ombudsman", -1.5, 0.8, fThreat, ""},
	{"chargeback", -1.5, 0.8, fThreat, ""},
	{"lawyer", -0.3, 0, fThreat, "lawyers attorney"},
	{"court", -0.3, 0, fThreat, ""},
	{"police", -0.3, 0, fThreat, ""},
	{"press", -0.3, 0, fThreat, "journalist journalists"},
	{"regulator", -0.3, 0, fThreat, ""},
	{"ftc", -0.5, 0.3, fThreat, ""},
	{"bbb", -0.5, 0.3, fThreat, ""},
	{"fcc", -0.5, 0.3, fThreat, ""},
	// Calls to others: virality, not severity.
	{"beware", -1.5, 0.6, fArousal, ""},
	{"avoid", -1.5, 0.6, fArousal, ""},
	{"warning", -1, 0.3, fArousal, ""},
}

// English praise.
var enPositive = []lexWord{
	{"good", 1.9, 0, 0, "gud"},
	{"great", 3, 0, 0, ""},
	{"excellent", 3.2, 0, 0, ""},
	{"amazing", 3, 0, 0, ""},
	{"awesome", 3, 0, 0, ""},
	{"love", 3, 0, 0, "loved loves loving"},
	{"lovely", 2.7, 0, 0, ""},
	{"nice", 1.8, 0, 0, ""},
	{"happy", 2.5, 0, fNegCompl, ""},
	{"glad", 2, 0, 0, ""},
	{"thanks", 1.2, 0, 0, "thank"},
	{"appreciate", 2, 0, 0, "appreciated"},
	{"helpful", 2.2, 0.8, fNegCompl, ""},
	{"fast", 1.5, 0, 0, ""},
	{"quick", 1.5, 0, 0, "quickly"},
	{"perfect", 3, 0, 0, "perfectly"},
	{"best", 3, 0, 0, ""},
	{"fantastic", 3.2, 0, 0, ""},
	{"wonderful", 3, 0, 0, ""},
	{"satisfied", 2, 0.5, fNegCompl, "satisfying"},
	{"recommend", 2, 0.5, fNegCompl, "recommended"},
	{"smooth", 1.5, 0, 0, ""},
	{"easy", 1.3, 0, 0, ""},
	{"friendly", 2, 0, 0, ""},
	{"resolved", 1.5, 1, fNegCompl, ""},
	{"fixed", 1.2, 1, fNegCompl, ""},
	{"works", 0.8, 1, fNegCompl, "work working worked"},
	{"worth", 1.5, 0, 0, ""},
	{"beautiful", 2.5, 0, 0, ""},
	{"enjoy", 2, 0, 0, "enjoyed"},
	{"cool", 1.3, 0, 0, ""},
	{"fine", 0.8, 0, 0, ""},
	{"impressed", 2.5, 0, 0, ""},
	{"pleased", 2.2, 0, 0, ""},
	{"brilliant", 3, 0, 0, ""},
	{"superb", 3, 0, 0, ""},
	{"outstanding", 3, 0, 0, ""},
	{"pleasant", 2, 0, 0, ""},
	{"reliable", 2, 0, 0, ""},
	{"fun", 2, 0, 0, ""},
	{"professional", 1.5, 0.8, fNegCompl, ""},
	{"better", 1, 0, 0, ""},
}

// English words that are neutral on their own but a complaint when negated:
// "not received", "no reply", "haven't heard back", "won't load".
var enNegComplaint = []lexWord{
	{"received", 0, 1, fNegCompl, "receive"},
	{"arrived", 0, 1, fNegCompl, "arrive arrives"},
	{"delivered", 0, 1, fNegCompl, "deliver"},
	{"shipped", 0, 1, fNegCompl, "ship"},
	{"responded", 0, 1, fNegCompl, "respond response responses"},
	{"replied", 0, 1, fNegCompl, "reply replies"},
	{"answered", 0, 1, fNegCompl, "answer answers"},
	{"refunded", 0.5, 1, fNegCompl, ""},
	{"processed", 0, 0.8, fNegCompl, ""},
	{"load", 0, 0.8, fNegCompl, "loading loads"},
	{"open", 0, 0.5, fNegCompl, "opens opening"},
	{"connect", 0, 0.7, fNegCompl, "connecting"},
	{"access", 0, 0.7, fNegCompl, ""},
	{"help", 0, 0.6, fNegCompl, "helped"},
	{"heard", 0, 0.8, fNegCompl, ""},
	{"sent", 0, 0.6, fNegCompl, "send"},
	{"contacted", 0, 0.6, fNegCompl, ""},
}

// Indonesian words that describe a problem.
var idProblems = []lexWord{
	{"rusak", -2.2, 1, 0, "rsk"},
	{"pecah", -1.8, 0.8, 0, ""},
	{"penyok", -1.8, 0.8, 0, "peyok"},
	{"cacat", -2, 1, 0, ""},
	{"gagal", -2, 1, 0, "ggl"},
	{"hilang", -2, 1, 0, "ilang,hlng"},
	{"lambat", -1.8, 0.8, 0, "lmbt"},
	{"lemot", -2, 1, 0, "lemod lelet"},
	{"lama", -1, 0.6, 0, "lma"},
	{"telat", -1.8, 1, 0, "terlambat tlt"},
	{"molor", -1.5, 0.8, 0, ""},
	{"tertunda", -1.2, 0.7, 0, "ketunda"},
	{"batal", -1, 0.6, 0, "dibatalkan dibatalin"},
	{"salah", -1.5, 0.8, 0, "slh"},
	{"basi", -2, 0.8, 0, ""},
	{"kotor", -1.8, 0.5, 0, ""},
	{"mahal", -1, 0.3, 0, ""},
	{"kemahalan", -1.5, 0.6, 0, ""},
	{"rugi", -2.2, 0.8, 0, "merugi kerugian"},
	{"dirugikan", -2.5, 1, 0, ""},
	{"masalah", -1.2, 0.8, 0, "msalah mslh bermasalah"},
	{"kendala", -1, 0.8, 0, ""},
	{"gangguan", -1.5, 1, 0, "ganguan"},
	{"mati", -1.2, 0.5, 0, ""},
	{"lecet", -1.5, 0.8, 0, ""},
	{"bocor", -1.8, 0.8, 0, ""},
	{"diblokir", -1.5, 0.8, 0, "keblokir terblokir"},
	{"dibekukan", -1.5, 0.8, 0, ""},
	{"ditolak", -1.2, 0.7, 0, ""},
	{"kepotong", -1.5, 1, 0, "terpotong dipotong"},
	{"nyangkut", -1.5, 1, 0, ""},
	{"tertahan", -1.3, 0.8, 0, "ketahan"},
	{"susah", -1.3, 0.6, 0, "ssh"},
	{"sulit", -1.2, 0.5, 0, ""},
	{"ribet", -1.5, 0.6, 0, ""},
	{"capek", -1.2, 0.3, 0, "cape"},
	{"menunggu", -0.4, 0.5, 0, ""},
	{"komplain", -1, 1, 0, "komplen"},
	{"keluhan", -1, 1, 0, ""},
	{"protes", -1.2, 0.8, 0, ""},
	{"retur", -0.5, 0.7, fKeep, ""},
	{"kosong", -0.8, 0.5, 0, ""},
	{"sobek", -1.8, 0.8, 0, "robek"},
	{"bau", -1.2, 0.4, 0, ""},
	{"aneh", -1, 0.3, 0, ""},
}

// Indonesian judgements: the customer disapproves (severity 2). Some are
// rude; customers write them, so the scorer has to read them.
var idDisapproval = []lexWord{
	{"kecewa", -2.8, 1, fEval, "kcewa kcw mengecewakan dikecewakan ngecewain kecewain"},
	{"kesal", -2.3, 0.8, fEval, "kesel kzl"},
	{"jengkel", -2.3, 0.8, fEval, ""},
	{"sebel", -2, 0.7, fEval, "sebal"},
	{"marah", -2.5, 0.6, fEval, "murka"},
	{"emosi", -1.8, 0.5, fEval, ""},
	{"geram", -2.5, 0.8, fEval, ""},
	{"buruk", -2.5, 0.8, fEval, ""},
	{"jelek", -2.3, 0.8, fEval, "jlek jlk"},
	{"payah", -2.3, 0.8, fEval, ""},
	{"parah", -2.5, 0.8, fEval | fInt, "prh"},
	{"ampas", -2.5, 0.8, fEval, ""},
	{"sampah", -2.8, 0.8, fEval, ""},
	{"zonk", -2, 0.8, fEval, ""},
	{"ancur", -2.5, 0.8, fEval, "hancur"},
	{"kacau", -2.2, 0.8, fEval, "kacaw"},
	{"nyebelin", -2.2, 0.8, fEval, "menyebalkan ngeselin"},
	{"tolol", -3, 0.6, fEval, ""},
	{"bodoh", -2.8, 0.6, fEval, "bodo"},
	{"goblok", -3, 0.6, fEval, "goblog gblk"},
	{"bego", -2.5, 0.6, fEval, ""},
	{"anjing", -2.5, 0.4, fEval, "anjg"},
	{"bangsat", -3, 0.5, fEval, "bgst"},
	{"kampret", -2, 0.4, fEval, ""},
	{"sialan", -2.5, 0.6, fEval, "sial"},
	{"brengsek", -3, 0.6, fEval, ""},
	{"males", -1.5, 0.4, 0, "malas"},
	{"sedih", -1.8, 0.3, 0, ""},
	{"nyesel", -2, 0.6, fEval, "menyesal nyesal"},
	{"kapok", -2.5, 1, fEval, ""},
	{"dicuekin", -2.2, 1, fEval, "dicuekkin dikacangin diabaikan dighosting"},
	{"cuek", -1.5, 0.8, fEval, ""},
	{"lalai", -2.3, 1, fEval, ""},
	{"menyedihkan", -2.3, 0.6, fEval, ""},
	{"memalukan", -2.5, 0.8, fEval, ""},
	{"keterlaluan", -2.8, 1, fEval, "kelewatan"},
	{"apaan", -1.5, 0.6, fEval, ""},
	{"ngeles", -1.5, 0.6, fEval, ""},
	{"hadeh", -1.2, 0.5, 0, "haduh hadeuh"},
	{"astaga", -1, 0.3, 0, "astagfirullah astaghfirullah"},
	{"huft", -1, 0.3, 0, ""},
}

// Indonesian accusations (severity 3).
var idAccusations = []lexWord{
	{"penipuan", -3.2, 1, fAccuse, "penipu tipu nipu menipu ditipu tipuan"},
	{"bohong", -2.8, 1, fAccuse, "boong bohongin dibohongi pembohong pembohongan"},
	{"ngibul", -2.5, 1, fAccuse, ""},
	{"maling", -3, 1, fAccuse, "pencuri nyolong"},
	{"curang", -2.8, 1, fAccuse, "kecurangan"},
	{"palsu", -2.5, 1, fAccuse, ""},
	{"abal", -2.3, 0.8, fAccuse, ""},
	{"pemerasan", -3, 1, fAccuse, ""},
	{"penggelapan", -3, 1, fAccuse, ""},
	{"php", -2, 0.8, fAccuse, ""}, // "pemberi harapan palsu": empty promises
}

// Indonesian threats to escalate (severity 4): consumer bodies (YLKI, BPKN,
// BPSK), the financial regulator (OJK), legal steps, boycotts, going public.
var idThreats = []lexWord{
	{"ylki", -1.5, 0.8, fThreat | fAcronym, ""},
	{"bpkn", -1.5, 0.8, fThreat | fAcronym, ""},
	{"bpsk", -1.5, 0.8, fThreat | fAcronym, ""},
	{"ojk", -1.5, 0.8, fThreat | fAcronym, ""},
	{"somasi", -2, 0.8, fThreat, ""},
	{"gugat", -2, 0.8, fThreat, "gugatan menggugat digugat"},
	{"tuntut", -2, 0.8, fThreat, "menuntut dituntut tuntutan"},
	{"boikot", -2, 0.8, fThreat | fArousal, ""},
	{"pidana", -1.5, 0.8, fThreat, ""},
	{"laporkan", -1.5, 0.8, fThreat, "melaporkan dilaporkan"},
	{"polisi", -0.3, 0, fThreat, "pulisi"},
	{"pengacara", -0.3, 0, fThreat, ""},
	{"pengadilan", -0.3, 0, fThreat, ""},
	{"wartawan", -0.3, 0, fThreat, ""},
	{"kominfo", -0.5, 0.3, fThreat | fAcronym, ""},
	{"bpom", -0.5, 0.3, fThreat | fAcronym, ""},
	// Calls to others: virality, not severity.
	{"waspada", -1.5, 0.6, fArousal, "awas"},
	{"sebarkan", -0.5, 0.3, fArousal, "disebar sebar"},
	{"lapor", -0.5, 0.5, fArousal, ""},
}

// Indonesian praise.
var idPositive = []lexWord{
	{"bagus", 2, 0, 0, "bgs bgus"},
	{"baik", 1.3, 0, 0, "baek"},
	{"keren", 2.3, 0, 0, ""},
	{"mantap", 2.3, 0, 0, "mantab mantep mantul mntp mantaps"},
	{"puas", 2.3, 0.5, fNegCompl, "memuaskan"},
	{"cepat", 1.5, 0, 0, "cepet cpt cpet"},
	{"ramah", 2, 0.8, fNegCompl, "rmh"},
	{"enak", 2, 0, 0, "enk"},
	{"suka", 1.5, 0, 0, ""},
	{"senang", 2.2, 0, 0, "seneng snang"},
	{"makasih", 1.2, 0, 0, "makasi mksh mksih trims trimakasih terimakasih"},
	{"mudah", 1.3, 0, 0, "gampang"},
	{"murah", 1.2, 0, 0, ""},
	{"rekomen", 2, 0, 0, "rekomended rekomendasi recomended"},
	{"juara", 2.5, 0, 0, ""},
	{"sukses", 1.5, 0, 0, ""},
	{"lancar", 1.8, 0.6, fNegCompl, "lncr"},
	{"aman", 1.3, 0, 0, ""},
	{"rapi", 1.5, 0, 0, "rapih"},
	{"awet", 1.5, 0, 0, ""},
	{"terbaik", 3, 0, 0, ""},
	{"hebat", 2.3, 0, 0, ""},
	{"cantik", 2, 0, 0, ""},
	{"nyaman", 2, 0, 0, ""},
	{"sesuai", 1, 1, fNegCompl, "sesuwai"},
	{"membantu", 1.8, 0.8, fNegCompl, "ngebantu terbantu"},
	{"solutif", 2, 0, 0, ""},
	{"responsif", 2, 0.5, fNegCompl, ""},
	{"amanah", 2, 0, 0, ""},
	{"wangi", 1.5, 0, 0, ""},
	{"lezat", 2.3, 0, 0, ""},
	{"sip", 1.5, 0, 0, "sipp"},
	{"berguna", 1.5, 0.6, fNegCompl, "bermanfaat"},
	{"sabar", 1, 0, 0, ""},
	{"sopan", 1.5, 0.8, fNegCompl, ""},
	{"jujur", 1.5, 0.8, fNegCompl, ""},
	{"cinta", 2.5, 0, 0, ""},
	{"asik", 1.8, 0, 0, "asyik"},
	{"seru", 1.8, 0, 0, ""},
	{"gercep", 2, 0, 0, ""},
	{"ori", 1, 0.8, fNegCompl, "original"},
	{"profesional", 1.5, 0.8, fNegCompl, ""},
	{"becus", 1, 1, fNegCompl, ""}, // only ever said negated: "gak becus"
	{"tanggung", 0.5, 1, fNegCompl, "bertanggung tanggungjawab"},
	{"lumayan", 1, 0, 0, "lmyn"},
}

// Indonesian words that are a complaint when negated: "belum sampai",
// "gak dibales", "tidak ada respon", "gak bisa login", "dana belum masuk".
var idNegComplaint = []lexWord{
	{"sampai", 0, 1, fNegCompl, ""}, // spellings are in idFunction
	{"datang", 0, 1, fNegCompl, "dateng dtg"},
	{"terima", 0, 1, fNegCompl, "nerima diterima"},
	{"dikirim", 0, 1, fNegCompl, "dikirimin kirim"},
	{"masuk", 0, 0.8, fNegCompl, ""},
	{"cair", 0, 1, fNegCompl, "dicairkan"},
	{"diproses", 0, 0.8, fNegCompl, "proses"},
	{"dibalas", 0, 1, fNegCompl, "balas bales dibales balasan balesan dibls"},
	{"direspon", 0, 1, fNegCompl, "direspons"},
	{"respon", 0, 1, fNegCompl, "respons"},
	{"ditanggapi", 0, 1, fNegCompl, "tanggapan"},
	{"dijawab", 0, 1, fNegCompl, "jawab jawaban"},
	{"kabar", 0, 0.8, fNegCompl, ""},
	{"solusi", 0.5, 1, fNegCompl, ""},
	{"jelas", 0, 0.8, fNegCompl, "kejelasan"},
	{"berfungsi", 0, 1, fNegCompl, "fungsi"},
	{"bisa", 0, 0.7, fNegCompl, ""},
	{"dipakai", 0, 0.6, fNegCompl, "dipake pakai"},
	{"dibuka", 0, 0.7, fNegCompl, "buka"},
	{"konek", 0, 0.7, fNegCompl, ""},
	{"diganti", 0, 0.7, fNegCompl, ""},
	{"ganti", 0, 0.7, fNegCompl, ""},
	{"dikembalikan", 0, 0.8, fNegCompl, "balikin"},
	{"kembali", 0, 0.8, fNegCompl, ""},
	{"aktif", 0, 0.6, fNegCompl, ""},
	{"nyala", 0, 0.7, fNegCompl, ""},
}

// Words both languages use in the same sense (no language evidence).
var sharedWords = []lexWord{
	{"refund", -0.8, 1, fKeep, "refunds rifund refound"},
	{"error", -1.3, 1, 0, "eror erorr errors"},
	{"bug", -1, 0.8, 0, "bugs"},
	{"crash", -1.5, 1, 0, "crashed crashes crashing"},
	{"hang", -1.3, 0.8, 0, "ngehang"},
	{"pending", -0.8, 0.8, 0, ""},
	{"cancel", -0.5, 0.6, 0, "cancelin"},
	{"login", 0, 0.8, fNegCompl, "log"},
	{"viral", -0.5, 0.3, fThreat | fArousal, "viralkan viralin diviralkan"},
	{"spill", -0.5, 0.3, fThreat | fArousal, ""},
	{"media", -0.3, 0, fThreat, "medsos"},
	{"ghosting", -2.2, 1, fEval, ""},
	{"admin", 0, 0, 0, ""},
	{"ok", 0.5, 0, 0, "oke okay okey"},
	{"thx", 1.2, 0, 0, "tq ty tks"},
	{"top", 1.5, 0, 0, ""},
	{"legit", 1.5, 0, 0, ""},
	{"wtf", -2.5, 0.6, fEval, ""},
}

// Emoji. Angry and thumbs-down emoji are disapproval; crying is sadness.
// The laughing faces are missing on purpose: they mark jokes and sarcasm in
// equal measure.
var emojiWords = []lexWord{
	{"😡", -3, 0.3, fEval, ""},
	{"🤬", -3, 0.3, fEval, ""},
	{"😠", -2.5, 0.3, fEval, ""},
	{"😤", -2, 0.3, fEval, ""},
	{"👎", -2, 0.3, fEval, ""},
	{"💩", -2.5, 0.3, fEval, ""},
	{"🤮", -2.5, 0.3, fEval, ""},
	{"😭", -1.5, 0, 0, ""},
	{"😢", -1.5, 0, 0, ""},
	{"😞", -1.8, 0, 0, ""},
	{"😩", -1.8, 0, 0, ""},
	{"😫", -1.8, 0, 0, ""},
	{"😒", -1.5, 0, 0, ""},
	{"🙄", -1.3, 0, 0, ""},
	{"💔", -1.8, 0, 0, ""},
	{"😔", -1.5, 0, 0, ""},
	{"😖", -1.8, 0, 0, ""},
	{"😑", -1, 0, 0, ""},
	{"☹", -1.8, 0, 0, ""},
	{"🙁", -1.5, 0, 0, ""},
	{"👍", 1.8, 0, 0, ""},
	{"😍", 2.5, 0, 0, ""},
	{"🥰", 2.5, 0, 0, ""},
	{"❤", 2.5, 0, 0, ""},
	{"💕", 2, 0, 0, ""},
	{"😊", 2, 0, 0, ""},
	{"🙂", 1, 0, 0, ""},
	{"😁", 2, 0, 0, ""},
	{"😄", 2, 0, 0, ""},
	{"🤩", 2.5, 0, 0, ""},
	{"💯", 1.5, 0, 0, ""},
	{"⭐", 1, 0, 0, ""},
	{"🙏", 0.5, 0, 0, ""},
}

// Multi-word patterns. Canonical spellings only: "sudah {dur}" also matches
// "udh 3 hari" and "udah seminggu".
var patterns = []pat{
	// Indonesian: time spent waiting.
	{"sudah {dur}", -0.6, 0.8, 0},
	{"dari kemarin", -0.5, 0.7, 0},
	{"sejak kemarin", -0.5, 0.7, 0},
	{"dari tadi", -0.4, 0.5, 0},
	{"sampai sekarang", -0.6, 0.8, 0},
	{"sampai hari ini", -0.5, 0.7, 0},
	// Indonesian: exasperated questions.
	{"kok {neg}", -1, 0.8, 0},
	{"kok bisa", -1, 0.6, 0},
	{"gimana sih", -1.5, 0.8, fEval},
	{"gimana ini", -1, 0.6, 0},
	{"gimana nih", -1, 0.6, 0},
	{"bagaimana ini", -1, 0.6, 0},
	{"mana nih", -1, 0.7, 0},
	{"apa apaan", -2, 0.8, fEval},
	{"kapan sampai", -0.5, 0.6, 0},
	{"kapan dikirim", -0.5, 0.6, 0},
	{"kapan diproses", -0.5, 0.6, 0},
	{"kapan dibalas", -0.8, 0.8, 0},
	{"kapan cair", -0.5, 0.7, 0},
	// Indonesian: demands.
	{"mohon segera", -0.5, 0.6, 0},
	{"tolong segera", -0.5, 0.6, 0},
	{"ganti rugi", -1, 1, 0},
	{"uang kembali", -0.5, 0.8, 0},
	{"minta refund", -1, 1, 0},
	// Indonesian: warnings to others, threats.
	{"lapor ke", -1, 0.8, fThreat},
	{"hati hati", -0.5, 0.3, fArousal},
	{"jangan beli", -2, 1, fArousal},
	{"jangan pernah", -1.5, 0.6, fArousal},
	{"{neg} akan beli lagi", -2, 1, fEval},
	{"{neg} mau beli lagi", -2, 1, fEval},
	{"{neg} beli lagi", -2, 1, fEval},
	// Indonesian: praise.
	{"terima kasih", 1.2, 0, 0},
	{"fast respon", 2, 0, 0},

	// English: time spent waiting, missing things.
	{"still waiting", -1, 1, 0},
	{"still {neg}", -1, 1, 0},
	{"been waiting", -1, 1, 0},
	{"where is my", -0.8, 1, 0},
	{"where's my", -0.8, 1, 0},
	{"where are my", -0.8, 1, 0},
	{"what happened to my", -0.8, 0.8, 0},
	{"{dur} ago", -0.3, 0.5, 0},
	{"for {dur}", -0.3, 0.4, 0},
	{"over {dur}", -0.3, 0.4, 0},
	{"on hold", -1, 0.8, 0},
	{"how long", -0.5, 0.5, 0},
	{"any update", -0.3, 0.5, 0},
	{"what's going on", -1, 0.6, 0},
	{"what is going on", -1, 0.6, 0},
	{"charged twice", -2, 1, 0},
	{"double charged", -2, 1, 0},
	// English: judgements in more than one word.
	{"fed up", -2.5, 1, fEval},
	{"let down", -2, 1, fEval},
	{"had enough", -2, 0.8, fEval},
	{"never again", -2.5, 1, fEval},
	{"waste of", -2.5, 1, fEval},
	{"thanks for nothing", -2.5, 1, fEval},
	{"sort it out", -0.5, 0.6, 0},
	{"sort this out", -0.5, 0.6, 0},
	{"fix this", -0.5, 0.6, 0},
	{"rip off", -3, 1, fAccuse},
	{"ripped off", -3, 1, fAccuse},
	// English: threats, warnings to others.
	{"report you", -1.5, 0.8, fThreat},
	{"reporting you", -1.5, 0.8, fThreat},
	{"legal action", -1.5, 0.8, fThreat},
	{"trading standards", -1.5, 0.8, fThreat},
	{"small claims", -1.5, 0.8, fThreat},
	{"go public", -1, 0.6, fThreat},
	{"{neg} buy", -2, 1, fArousal},
	{"stay away", -2, 1, fArousal},
	// English: praise with a negator in it.
	{"can't wait", 2, 0, 0},
	{"cant wait", 2, 0, 0},
	{"no worries", 1, 0, 0},
	{"well done", 2, 0, 0},
	{"keep it up", 1.5, 0, 0},
}

// lexicon is the compiled form of the lists above. It is read-only after
// newLexicon, so one lexicon serves concurrent Score calls.
type lexicon struct {
	words map[string]*entry
	// conflicts lists aliases that collided with another word; a test
	// keeps it empty, so a new alias never silently rewrites a word.
	conflicts []string
	patterns  map[string][]*compiledPattern // by first element (a word or a slot)
	negEN     *entry                        // for unlisted "...n't" words

	// Conversation cues (cues.go), by first element.
	followUps, privates map[string][]*compiledPattern
}

type compiledPattern struct {
	elems []string
	val   float64
	cw    float64
	f     flag
}

// Slot names in patterns.
const (
	slotNeg = "{neg}"
	slotDur = "{dur}"
)

func newLexicon() *lexicon {
	lx := &lexicon{words: make(map[string]*entry, 2048), patterns: make(map[string][]*compiledPattern)}
	// Plain lists first, so that scored words merge their numbers into the
	// entries of function words they share ("sampai", "bisa").
	lx.addList(enFunction, fEN)
	lx.addList(idFunction, fID)
	lx.addList(foreignFunction, fForeign)
	lx.addList(enNegators, fNeg|fEN)
	lx.addList("no", fNeg)
	lx.addList(idNegators, fNeg|fID)
	lx.addList(enIntensifiers, fInt)
	lx.addList(idIntensifiers, fInt|fID)
	lx.addList(enDampeners, fDamp)
	lx.addList(idDampeners, fDamp|fID)
	lx.addList(enContrast, fBut|fEN)
	lx.addList(idContrast, fBut|fID)
	lx.addList(enRepeat, fRepeat|fEN)
	lx.addList(idRepeat, fRepeat|fID)
	lx.addList(enDomain, fDomain|fEN)
	lx.addList(idDomain, fDomain|fID)
	lx.addList(numberWords, fNum)
	lx.addList(timeUnits, fTime)
	lx.addList(durationWords, fDur)
	lx.addList(acronyms, fAcronym)
	for _, l := range []struct {
		words []lexWord
		f     flag
	}{
		{enProblems, fEN}, {enDisapproval, fEN}, {enAccusations, fEN}, {enThreats, fEN},
		{enPositive, fEN}, {enNegComplaint, fEN},
		{idProblems, fID}, {idDisapproval, fID}, {idAccusations, fID}, {idThreats, fID},
		{idPositive, fID}, {idNegComplaint, fID},
		{sharedWords, 0}, {emojiWords, 0},
	} {
		for _, x := range l.words {
			e := lx.add(x.word, x.val, x.cw, x.f|l.f)
			for _, a := range strings.Fields(strings.ReplaceAll(x.aliases, ",", " ")) {
				lx.alias(a, e)
			}
		}
	}
	for _, p := range patterns {
		elems := strings.Fields(p.text)
		cp := &compiledPattern{elems: elems, val: p.val, cw: p.cw, f: p.f}
		lx.patterns[elems[0]] = append(lx.patterns[elems[0]], cp)
	}
	lx.negEN = &entry{canon: "not", f: fNeg | fEN}
	lx.followUps = lx.compileCues(followUpPhrases())
	lx.privates = lx.compileCues(privateCues)
	return lx
}

// addList adds a whitespace-separated list of "word" or "word:alias,alias"
// items, all with flags f.
func (lx *lexicon) addList(list string, f flag) {
	for _, item := range strings.Fields(list) {
		word, aliases, _ := strings.Cut(item, ":")
		e := lx.add(word, 0, 0, f)
		if aliases != "" {
			for _, a := range strings.Split(aliases, ",") {
				lx.alias(a, e)
			}
		}
	}
}

// add merges a word into the lexicon: flags accumulate, and the first
// non-zero valence and complaint weight win.
func (lx *lexicon) add(word string, val, cw float64, f flag) *entry {
	e := lx.words[word]
	if e == nil {
		e = &entry{canon: word}
		lx.words[word] = e
	}
	if e.val == 0 {
		e.val = val
	}
	if e.cw == 0 {
		e.cw = cw
	}
	e.f |= f
	return e
}

// alias makes spelling share e's entry. An alias that is already another
// word is a mistake in the lists: it is recorded, and the first meaning is
// kept.
func (lx *lexicon) alias(spelling string, e *entry) {
	if old, ok := lx.words[spelling]; ok && old != e {
		lx.conflicts = append(lx.conflicts, fmt.Sprintf("%q is both %q and %q", spelling, old.canon, e.canon))
		return
	}
	lx.words[spelling] = e
}
