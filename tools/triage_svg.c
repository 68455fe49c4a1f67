/* triage_svg.c - a run's timeline for nmr-triage's report: the text
 * timeline with its line offsets, and an SVG swimlane picture per thread. */
#include <stdlib.h>
#include <string.h>

#include "trace/names.h"
#include "triage.h"


void html_escape(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

void html_text(FILE *f, const char *s)
{
	html_escape(f, s, strlen(s));
}

/* The timeline text's line for event i (line i + 1: a header comes first). */
static void line_of(const struct mem *tl, uint32_t i, const char **start, size_t *len)
{
	if (i + 1 >= tl->nlines) {
		*start = "";
		*len = 0;
		return;
	}
	const char *p = tl->text + tl->line[i + 1];
	const char *e = strchr(p, '\n');
	*start = p;
	*len = e ? (size_t)(e - p) : strlen(p);
}

/* An SVG swimlane per thread: nested slices for API calls, callbacks,
 * dispatch calls and Unload; grey for blocked time; red marks findings.
 * x is the event index (steps are too uneven to read). Hover shows the
 * timeline line of an event. */
void render_svg(FILE *f, const struct trace *t, const struct scenario *s, const struct mem *tl)
{
	uint32_t n = t->count < t->events_cap ? t->count : t->events_cap;
	if (n > SVG_EVENTS_MAX)
		n = SVG_EVENTS_MAX;
	enum { LANES = 64, DEPTH = 8 };
	int lane_of[256];
	uint32_t nlanes = 0;
	uint8_t lane_thread[LANES];
	for (int i = 0; i < 256; i++)
		lane_of[i] = -1;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t th = t->events[i].thread;
		if (lane_of[th] < 0 && nlanes < LANES) {
			lane_thread[nlanes] = th;
			lane_of[th] = (int)nlanes++;
		}
	}
	const double label_w = 110, row_h = 12, lane_h = row_h * 5 + 10;
	double dx = n ? 1100.0 / n : 1;
	if (dx > 24)
		dx = 24;
	if (dx < 1.5)
		dx = 1.5;
	double width = label_w + dx * (n + 1) + 10, height = lane_h * nlanes + 20;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" class=\"swim\">\n", width,
		height);
	char tn[32];
	for (uint32_t l = 0; l < nlanes; l++) {
		double y = 10 + l * lane_h;
		fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"/>\n", y, width, lane_h - 4,
			l % 2 ? "#f6f6f6" : "#eef3f8");
		fprintf(f, "<text x=\"4\" y=\"%.1f\" class=\"lane\">", y + 14);
		html_text(f, trace_thread_name(s, lane_thread[l], tn));
		fprintf(f, "</text>\n");
	}
	uint32_t open_at[256][DEPTH];
	uint8_t open_kind[256][DEPTH];
	uint8_t depth[256] = { 0 };
	int64_t blocked_at[256];
	for (int i = 0; i < 256; i++)
		blocked_at[i] = -1;
	for (uint32_t i = 0; i <= n; i++) {
		bool end = i == n;
		const struct event *e = end ? NULL : &t->events[i];
		for (int th = 0; th < 256 && end; th++) {
			/* close what is still open at the end of the picture */
			while (depth[th]) {
				depth[th]--;
				if (depth[th] < DEPTH && lane_of[th] >= 0) {
					double x0 = label_w + dx * open_at[th][depth[th]];
					double y = 10 + lane_of[th] * lane_h + 20 + depth[th] * row_h;
					fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"k%u open\"/>\n",
						x0, y, label_w + dx * n - x0, row_h - 1, open_kind[th][depth[th]]);
				}
			}
			if (blocked_at[th] >= 0 && lane_of[th] >= 0) {
				double x0 = label_w + dx * (double)blocked_at[th];
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" class=\"blocked\"/>\n", x0,
					10 + lane_of[th] * lane_h + 16, label_w + dx * n - x0);
			}
		}
		if (end)
			break;
		int lane = lane_of[e->thread];
		if (lane < 0)
			continue;
		double x = label_w + dx * i, y0 = 10 + lane * lane_h;
		const char *ln;
		size_t lnlen;
		switch (e->kind) {
		case EV_API_ENTER:
		case EV_CB_ENTER:
		case EV_CALL_ENTER:
		case EV_UNLOAD_ENTER:
			if (depth[e->thread] < DEPTH) {
				open_at[e->thread][depth[e->thread]] = i;
				open_kind[e->thread][depth[e->thread]] = e->kind;
			}
			depth[e->thread]++;
			break;
		case EV_API_EXIT:
		case EV_CB_EXIT:
		case EV_CALL_EXIT:
		case EV_UNLOAD_EXIT:
			if (!depth[e->thread])
				break;
			depth[e->thread]--;
			if (depth[e->thread] < DEPTH) {
				uint32_t d = depth[e->thread], at = open_at[e->thread][d];
				const struct event *en = &t->events[at];
				char label[64];
				switch (en->kind) {
				case EV_API_ENTER: snprintf(label, sizeof label, "%s", nmr_api_name((enum nmr_api)en->what)); break;
				case EV_CB_ENTER: snprintf(label, sizeof label, "%s", nmr_cb_name((enum nmr_cb)en->what)); break;
				case EV_CALL_ENTER: snprintf(label, sizeof label, "call"); break;
				default: snprintf(label, sizeof label, "Unload"); break;
				}
				double x0 = label_w + dx * at, w = dx * (i - at) + dx * 0.8;
				line_of(tl, at, &ln, &lnlen);
				fprintf(f, "<g><title>");
				html_escape(f, ln, lnlen);
				fprintf(f, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"k%u\"/>",
					x0, y0 + 20 + d * row_h, w, row_h - 1, en->kind);
				if (w > 5.6 * (double)strlen(label) + 4) {
					fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"sl\">", x0 + 2, y0 + 20 + d * row_h + 9);
					html_text(f, label);
					fprintf(f, "</text>");
				}
				fprintf(f, "</g>\n");
			}
			break;
		case EV_BLOCK:
			blocked_at[e->thread] = i;
			break;
		case EV_WAKE:
			if (blocked_at[e->thread] >= 0) {
				double x0 = label_w + dx * (double)blocked_at[e->thread];
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" class=\"blocked\"/>\n", x0,
					y0 + 16, x - x0);
				blocked_at[e->thread] = -1;
			}
			break;
		case EV_OP:
		case EV_FINDING:
			line_of(tl, i, &ln, &lnlen);
			fprintf(f, "<g><title>");
			html_escape(f, ln, lnlen);
			if (e->kind == EV_OP)
				fprintf(f, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"10\" class=\"op\"/></g>\n",
					x, y0 + 4);
			else
				fprintf(f, "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" class=\"finding\"/>"
					   "<text x=\"%.1f\" y=\"%.1f\" class=\"ft\">%s</text></g>\n",
					x, y0 + 10, x + 8, y0 + 14, rule_info((enum rule)e->what)->id);
			break;
		default:
			break;
		}
	}
	fprintf(f, "</svg>\n");
}

void capture_timeline(struct mem *m, const struct trace *t, const struct scenario *s)
{
	memset(m, 0, sizeof(*m));
	FILE *f = open_memstream(&m->text, &m->len);
	if (!f)
		return;
	trace_render_text(f, t, s);
	fclose(f);
	if (!m->text)
		return;
	uint32_t n = 1;
	for (size_t i = 0; i < m->len; i++)
		n += m->text[i] == '\n';
	m->line = malloc(sizeof(uint32_t) * n);
	if (!m->line)
		return;
	m->line[m->nlines++] = 0;
	for (size_t i = 0; i + 1 < m->len; i++)
		if (m->text[i] == '\n')
			m->line[m->nlines++] = (uint32_t)(i + 1);
}

/* Print at most TIMELINE_LINES_MAX lines of the timeline. */
void put_timeline(FILE *f, const struct mem *tl, bool html)
{
	const char *p = tl->text ? tl->text : "";
	uint32_t lines = 0;
	while (*p && lines < TIMELINE_LINES_MAX) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
		if (html)
			html_escape(f, p, n);
		else
			fwrite(p, 1, n, f);
		p += n;
		lines++;
	}
	if (*p) {
		uint32_t rest = 0;
		for (; *p; p++)
			rest += *p == '\n';
		fprintf(f, "... %u more lines (replay the reproducer for all of them)\n", rest);
	}
}
