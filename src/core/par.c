/* Two halves of one job at once: see par.h. */
#include "core/par.h"

#include <pthread.h>

struct par_job {
    par_fn fn;
    void *arg;
};

static void *par_start(void *p)
{
    struct par_job *j = p;
    j->fn(j->arg);
    return NULL;
}

void par_pair(par_fn fn, void *a, void *b)
{
    struct par_job second = {fn, b};
    pthread_t th;

    if (pthread_create(&th, NULL, par_start, &second) != 0) {
        fn(a);
        fn(b);
        return;
    }
    fn(a);
    pthread_join(th, NULL);
}
