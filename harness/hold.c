/* hold.c: the hold step, where the drill waits for a person: it prints what to do and
 * waits until someone acknowledges it (Enter on the controller's terminal, or
 * `firedrill ack` from any terminal of the machine), up to its timeout. With --auto-ack
 * it does not wait: its `auto` command, when it has one, does what the person would,
 * as a `run` step does. Also the notes observers add with `firedrill note`. */
#include "hold.h"
#include "notify.h"

#include "control.h"
#include "steps.h"

#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Enter pressed on the controller's terminal (stdin a terminal): a line read. */
static bool enter_pressed(void)
{
    if (!isatty(0))
        return false;
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
        return false;
    char buf[256];
    return read(0, buf, sizeof buf) > 0;
}

static void record(fd_run *r, fd_hold_record *h)
{
    r->holds = fd_xrealloc(r->holds, (r->nholds + 1) * sizeof *r->holds);
    r->holds[r->nholds++] = *h;
    json_t *ev =
        json_pack("{s:s,s:s,s:f}", "step", h->step->id, "how", h->how, "waited_s", h->waited_s);
    if (h->acked_by)
        json_object_set_new(ev, "by", json_string(h->acked_by));
    fd_history_event(&r->history, h->timed_out ? "hold_timed_out" : "hold_acknowledged", ev);
}

/* --auto-ack: the auto command (as a run step would run it), or an acknowledgement at
 * once. */
static fd_run_result auto_ack(fd_run *r, size_t index, const fd_step *st, fd_hold_record *h,
                              char **detail)
{
    fd_run_result res = FD_OUTCOME_NONE;
    if (st->hold.auto_command) {
        fd_step run = {.kind = FD_STEP_RUN, .id = st->id};
        run.run.command = st->hold.auto_command;
        run.run.target = st->hold.target;
        run.run.timeout_us = st->hold.timeout_us;
        run.run.sudo = st->hold.sudo;
        char *d = NULL;
        res = fd_step_kind_for(FD_STEP_RUN)->exec(r, index, &run, &d);
        *detail = fd_asprintf("acknowledged by its auto command (%s)", d ? d : "");
        free(d);
        h->how = "auto";
    } else {
        *detail = fd_strdup("acknowledged by --auto-ack");
        h->how = "auto-ack";
    }
    h->acked_by = fd_strdup(h->how);
    return res;
}

fd_run_result fd_hold_step(fd_run *r, size_t index, const fd_step *st, char **detail)
{
    fd_hold_record h = {.step = st, .started_s = fd_run_now_s(r), .waited_s = NAN};
    fd_run_log(r, "HOLD [%s]: %s", st->id, st->hold.prompt);
    if (st->hold.runbook)
        fd_run_log(r, "HOLD [%s]: runbook %s", st->id, st->hold.runbook);
    fd_history_event(&r->history, "hold_waiting", json_pack("{s:s}", "step", st->id));
    fd_run_notify(r, FD_NOTIFY_HOLD, "hold %s waits for a person: %s", st->id, st->hold.prompt);
    fd_run_result res = FD_OUTCOME_NONE;
    if (r->opts.auto_ack) {
        res = auto_ack(r, index, st, &h, detail);
    } else {
        char *err = NULL;
        if (r->control_dir && !fd_control_put(r->control_dir, "hold", st->id, &err)) {
            fd_run_error(r, "hold [%s]: %s", st->id, err);
            free(err);
        }
        fd_run_log(r,
                   "HOLD [%s]: press Enter here, or run `firedrill ack %s` on this machine, "
                   "when it is done (times out in %.0fs)",
                   st->id, r->run_id, (double)st->hold.timeout_us / 1e6);
        int64_t deadline = fd_mono_us() + st->hold.timeout_us;
        char *by = NULL;
        while (!by && !fd_run_stopping(r) && fd_mono_us() < deadline) {
            if (enter_pressed()) {
                by = fd_control_user(NULL);
                h.how = "terminal";
            } else if (r->control_dir && (by = fd_control_take(r->control_dir, "ack"))) {
                h.how = "firedrill ack";
            } else {
                fd_sleep_us(100000);
            }
        }
        if (r->control_dir) {
            char *gone = fd_control_take(r->control_dir, "hold");
            free(gone);
        }
        h.acked_by = by ? fd_printable(by, 64) : NULL;
        free(by);
        if (h.acked_by) {
            *detail = fd_asprintf("acknowledged by %s (%s)", h.acked_by, h.how);
        } else if (fd_run_stopping(r)) {
            *detail = fd_strdup("interrupted");
            h.how = "interrupted";
        } else {
            h.timed_out = true;
            h.how = "timed out";
            *detail = fd_asprintf("nobody acknowledged it within %.0fs%s",
                                  (double)st->hold.timeout_us / 1e6,
                                  st->hold.on_timeout_continue ? "; the drill goes on" : "");
            if (!st->hold.on_timeout_continue) {
                fd_run_outcome(r, FD_OUTCOME_ABORTED, *detail);
                res = FD_OUTCOME_ABORTED;
            }
        }
    }
    h.ended_s = fd_run_now_s(r);
    if (h.acked_by)
        h.waited_s = h.ended_s - h.started_s;
    record(r, &h);
    return res;
}

void fd_notes_poll(fd_run *r)
{
    if (!r->control_dir)
        return;
    char *text;
    while ((text = fd_control_take(r->control_dir, "note-"))) {
        /* "BY\nTEXT" as firedrill note writes it */
        char *nl = strchr(text, '\n');
        if (nl)
            *nl = '\0';
        char *by = fd_printable(nl ? text : "", 64);
        char *body = fd_printable(nl ? nl + 1 : text, 2000);
        fd_run_note(r, by, body);
        free(by);
        free(body);
        free(text);
    }
}
