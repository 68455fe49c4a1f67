/* triage_report.c - nmr-triage's report.txt and self-contained report.html:
 * one section per bug with its rule, contract, reproducer, replay command,
 * minimised scenario and timeline. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "triage.h"

static void iso_time(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static char *slurp(const char *path)
{
	char err[256];
	struct tgt_buf b = { 0 };
	if (tgt_read(&b, path, err, sizeof err) != 0)
		return NULL;
	return (char *)b.data;
}

static const char *html_head =
	"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>nmrsim triage report</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1300px;color:#222}\n"
	"h1{font-size:1.5em}h2{font-size:1.2em;border-top:2px solid #ccc;padding-top:.8em;margin-top:2em}\n"
	"pre{background:#f7f7f7;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:12px}\n"
	"code{background:#f0f0f0;padding:0 .2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
	".rule{color:#a00;font-weight:bold}.contract{font-style:italic}\n"
	".swim text.lane{font:bold 11px monospace}.swim text.sl{font:9px monospace;fill:#fff;pointer-events:none}\n"
	".swim text.ft{font:bold 11px monospace;fill:#c00}.swim .k6{fill:#3465a4}.swim .k8{fill:#4e9a06}\n"
	".swim .k10{fill:#c17d11}.swim .k13{fill:#75507b}.swim .open{opacity:.5}.swim .blocked{fill:#888}\n"
	".swim .op{fill:#222}.swim .finding{fill:#e00}.swimwrap{overflow-x:auto;border:1px solid #ddd}\n"
	"</style></head><body>\n";

int write_report(uint32_t *order, uint32_t nbugs, uint32_t nroots, double secs)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/report.txt", opt.out_dir);
	FILE *txt = fopen(path, "w");
	snprintf(path, sizeof path, "%s/report.html", opt.out_dir);
	FILE *html = fopen(path, "w");
	if (!txt || !html) {
		fprintf(stderr, "nmr-triage: cannot write the report in %s: %s\n", opt.out_dir, strerror(errno));
		if (txt)
			fclose(txt);
		if (html)
			fclose(html);
		return -1;
	}
	uint32_t live = 0;
	for (uint32_t i = 0; i < nfiles; i++)
		live += files[i].seen;
	char now[64];
	iso_time(now, sizeof now, (int64_t)time(NULL));
	fprintf(txt, "nmrsim triage report (%s)\n%u input(s), target %s, %u distinct bug(s) (root causes), %u signature(s)%s\n",
		now, live, tgt_kind_name(opt.kind), nroots, nbugs, errors ? " (some inputs unreadable)" : "");
	if (suppressed_total || advisories_total)
		fprintf(txt, "set aside: %u finding(s) suppressed, %u advisor%s not counted\n",
			suppressed_total, advisories_total, advisories_total == 1 ? "y" : "ies");
	fputs(html_head, html);
	fprintf(html, "<h1>nmrsim triage report</h1>\n<p>%s &middot; %u input(s), target <code>%s</code> &middot; "
		      "<b>%u distinct bug(s)</b> (root causes; %u signatures) &middot; triage took %.1f s</p>\n",
		now, live, tgt_kind_name(opt.kind), nroots, nbugs, secs);
	if (nbugs) {
		fprintf(html, "<table><tr><th>#</th><th>signature</th><th>rule</th><th>hits</th><th>first seen</th></tr>\n");
		for (uint32_t b = 0; b < nbugs; b++) {
			const struct tsig *s = &sigs[order[b]];
			char fs[64];
			iso_time(fs, sizeof fs, s->first_seen);
			fprintf(html, "<tr><td><a href=\"#bug%u\">%s</a></td><td><code>", b + 1, labels[b]);
			html_text(html, s->sig);
			fprintf(html, "</code></td><td>%s %s</td><td>%u</td><td>%s</td></tr>\n", rule_info(s->rule)->id,
				rule_info(s->rule)->name, s->hits, fs);
		}
		fprintf(html, "</table>\n");
	}
	for (uint32_t b = 0; b < nbugs; b++) {
		struct tsig *s = &sigs[order[b]];
		const struct tfile *best = &files[s->best];
		const struct rule_info *ri = rule_info(s->rule);
		char fs[64], cmd[2400], mcmd[1200];
		iso_time(fs, sizeof fs, s->first_seen);
		tgt_replay_command(cmd, sizeof cmd, opt.replay, best->path, opt.kind, best->text,
				   opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, best->text));
		/* Run what the section shows: the minimised scenario if there is one. */
		char err[600];
		bool text = false, have = false, minimised = false;
		if (s->min_path[0] && tgt_load(&scn, s->min_path, opt.kind, &buf, &text, err, sizeof err) == 0) {
			have = minimised = true;
		} else if (tgt_load(&scn, best->path, opt.kind, &buf, &text, err, sizeof err) == 0) {
			have = true;
		}
		const char *detail = "(the reproducer did not load)";
		if (best->crashed && !minimised) {
			/* its run crashes: replay it with nmr-replay for the timeline */
			have = false;
			detail = "the run crashed (a fault in driver code): replay the reproducer for the trace up to the crash";
		}
		struct mem tl = { 0 };
		const char *hang = "";
		if (have) {
			tgt_run(&runner, &scn, minimised ? tgt_mask_all() : (opt.rules_given ? opt.mask : tgt_default_mask(opt.kind, text)),
				&outc);
			int k = tgt_find_sig(&outc, s->sig);
			detail = k >= 0 ? outc.res.findings[outc.index[k]].detail : "(not reproduced by this run)";
			hang = outc.res.hang ? outc.res.hang : "";
			capture_timeline(&tl, &runner.st->trace, &scn);
		}
		char *mtext = minimised ? slurp(s->min_path) : NULL;
		snprintf(mcmd, sizeof mcmd, "%s --expect %s", opt.replay, s->min_path);

		if (strchr(labels[b], '.'))
			fprintf(txt, "\n== [%s] %s  (follows [%.*s]: %s)\n", labels[b], s->sig, (int)strcspn(labels[b], "."),
				labels[b], s->roots ? "the same defect at another stage" : "in the same run");
		else
			fprintf(txt, "\n== [%s] %s\n", labels[b], s->sig);
		fprintf(txt, "rule:       %s %s\ncontract:   %s\nwhat:       %s\n", ri->id, ri->name, ri->contract, detail);
		fprintf(txt, "hits:       %u file(s); first seen %s (%s)\n", s->hits, fs, files[s->first_file].path);
		fprintf(txt, "reproducer: %s (%u ops, %u choices, %" PRId64 " bytes)\nreplay:     %s\n", best->path,
			best->nops, best->nchoices, best->size, cmd);
		if (minimised) {
			fprintf(txt, "minimised:  %s (%u -> %u ops, %u runs)\nreplay:     %s\n", s->min_path, s->min.ops_before,
				s->min.ops_after, s->min.runs, mcmd);
			fprintf(txt, "\n%s", mtext ? mtext : "");
		}
		if (hang[0])
			fprintf(txt, "\n%s\n", hang);
		fprintf(txt, "\ntimeline%s:\n", minimised ? " (minimised run)" : "");
		put_timeline(txt, &tl, false);

		fprintf(html, "<h2 id=\"bug%u\">[%s] <code>", b + 1, labels[b]);
		html_text(html, s->sig);
		fprintf(html, "</code></h2>\n<p><span class=\"rule\">%s %s</span> &mdash; <span class=\"contract\">", ri->id,
			ri->name);
		html_text(html, ri->contract);
		fprintf(html, "</span></p>\n<p><b>What happened:</b> ");
		html_text(html, detail);
		fprintf(html, "</p>\n<p><b>Hits:</b> %u file(s); <b>first seen</b> %s (<code>", s->hits, fs);
		html_text(html, files[s->first_file].path);
		fprintf(html, "</code>)</p>\n<p><b>Smallest reproducer:</b> <code>");
		html_text(html, best->path);
		fprintf(html, "</code> (%u ops, %u choices, %" PRId64 " bytes)<br><b>Replay:</b> <code>", best->nops,
			best->nchoices, best->size);
		html_text(html, cmd);
		fprintf(html, "</code></p>\n");
		if (minimised) {
			fprintf(html, "<p><b>Minimised</b> (%u &rarr; %u ops, %u runs): <code>", s->min.ops_before,
				s->min.ops_after, s->min.runs);
			html_text(html, mcmd);
			fprintf(html, "</code></p>\n<pre>");
			html_text(html, mtext ? mtext : "");
			fprintf(html, "</pre>\n");
		}
		if (hang[0]) {
			fprintf(html, "<pre>");
			html_text(html, hang);
			fprintf(html, "</pre>\n");
		}
		if (have) {
			fprintf(html, "<p><b>Timeline</b>%s (hover a slice for its event):</p>\n<div class=\"swimwrap\">",
				minimised ? " of the minimised run" : "");
			render_svg(html, &runner.st->trace, &scn, &tl);
			fprintf(html, "</div>\n<details><summary>timeline as text</summary><pre>");
			put_timeline(html, &tl, true);
			fprintf(html, "</pre></details>\n");
		}
		free(mtext);
		free(tl.text);
		free(tl.line);
	}
	if (!nbugs) {
		fprintf(txt, "\nno findings\n");
		fprintf(html, "<p>No findings.</p>\n");
	}
	/* Advisories apart: against the documentation's letter, accepted by
	 * Windows (docs/FINDINGS.md); --advisories-fail makes them bugs above. */
	bool any = false;
	for (uint32_t i = 0; i < nsigs; i++) {
		const struct tsig *s = &sigs[i];
		if (!s->hits || !triage_advisory(s))
			continue;
		if (!any) {
			fprintf(txt, "\nadvisories (not counted; --advisories-fail counts them):\n");
			fprintf(html, "<h2>Advisories</h2>\n<p>Not counted (<code>--advisories-fail</code> counts them).</p>\n<ul>\n");
			any = true;
		}
		fprintf(txt, "  %s  (%s %s; %u file(s), e.g. %s)\n", s->sig, rule_info(s->rule)->id, rule_info(s->rule)->name,
			s->hits, files[s->best].path);
		fprintf(html, "<li><code>");
		html_text(html, s->sig);
		fprintf(html, "</code> &mdash; ");
		html_text(html, rule_info(s->rule)->contract);
		fprintf(html, " (%u file(s), e.g. <code>", s->hits);
		html_text(html, files[s->best].path);
		fprintf(html, "</code>)</li>\n");
	}
	if (any)
		fprintf(html, "</ul>\n");
	fprintf(html, "</body></html>\n");
	int rc = 0;
	if (fflush(txt) != 0 || ferror(txt) || fflush(html) != 0 || ferror(html)) {
		fprintf(stderr, "nmr-triage: cannot write the report in %s: %s\n", opt.out_dir, strerror(errno));
		rc = -1;
	}
	rc |= fclose(txt);
	rc |= fclose(html);
	return rc ? -1 : 0;
}

