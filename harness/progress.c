/* progress.c: the live status line on a terminal: the step, the time spent and left,
 * and each probe's counts and current outage. */
#include "progress.h"

#include <stdio.h>

/* The planned time still ahead: waits not yet done and the rest of the current one.
 * A lower bound (wait_for and commands take what they take). */
static double remaining_s(const fd_run *r)
{
    const fd_scenario *s = r->s;
    double left = 0;
    size_t cur = atomic_load(&r->current_step);
    for (size_t i = cur; i < s->nsteps; i++) {
        if (s->steps[i].kind != FD_STEP_WAIT)
            continue;
        double w = (double)s->steps[i].wait_us / 1e6;
        int64_t since = atomic_load(&r->step_started_us);
        if (i == cur && since)
            w -= (double)(fd_mono_us() - since) / 1e6;
        if (w > 0)
            left += w;
    }
    return left;
}

/* The live status line on a terminal: step, elapsed and remaining time, and each
 * probe's counts and current outage. */
static void *progress_main(void *arg)
{
    fd_run *r = arg;
    while (!atomic_load(&r->progress_quit)) {
        fd_sleep_us(200000);
        if (atomic_load(&r->progress_quit))
            break;
        fd_buf b;
        fd_buf_init(&b, 4096);
        const fd_scenario *s = r->s;
        size_t cur = atomic_load(&r->current_step);
        if (!atomic_load(&r->timeline_start_us))
            fd_buf_puts(&b, "starting");
        else if (cur < s->nsteps)
            fd_buf_printf(&b, "step %zu/%zu %s %s", cur + 1, s->nsteps,
                          fd_step_kind_names[s->steps[cur].kind], s->steps[cur].id);
        else
            fd_buf_puts(&b, "finishing");
        fd_buf_printf(&b, " | %.0fs elapsed, >=%.0fs left", fd_run_now_s(r), remaining_s(r));
        for (size_t i = 0; i < r->nprobes; i++) {
            fd_probe_run *pr = &r->probes[i];
            uint64_t ok = 0, bad = 0;
            int64_t down_since = 0;
            pthread_mutex_lock(&pr->lock);
            for (size_t k = 0; k < pr->nops; k++) {
                if (pr->ops[k].outcome == FD_OUT_OK) {
                    ok++;
                    down_since = 0;
                } else {
                    bad++;
                    if (!down_since)
                        down_since = pr->ops[k].start_us;
                }
            }
            pthread_mutex_unlock(&pr->lock);
            fd_buf_printf(&b, " | %s ok %llu fail %llu", pr->p->name, (unsigned long long)ok,
                          (unsigned long long)bad);
            if (down_since)
                fd_buf_printf(&b, " DOWN %.1fs", (double)(fd_mono_us() - down_since) / 1e6);
        }
        pthread_mutex_lock(&r->lock);
        printf("\r\033[K%s", b.data);
        fflush(stdout);
        pthread_mutex_unlock(&r->lock);
        fd_buf_free(&b);
    }
    pthread_mutex_lock(&r->lock);
    printf("\r\033[K");
    fflush(stdout);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

void fd_progress_start(fd_run *r)
{
    if (r->tty)
        r->progress_started = pthread_create(&r->progress, NULL, progress_main, r) == 0;
}

void fd_progress_stop(fd_run *r)
{
    if (!r->progress_started)
        return;
    atomic_store(&r->progress_quit, true);
    pthread_join(r->progress, NULL);
    r->progress_started = false;
}
