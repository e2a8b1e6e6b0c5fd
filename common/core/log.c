/* Leveled logging to stderr, human text or JSON lines. */
#include "core/core.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static struct {
    char component[32];    /* process name shown on each line */
    apex_log_level level;  /* lines below this level are dropped */
    int json;              /* 1: one JSON object per line */
    pthread_mutex_t mutex; /* keeps lines whole across threads */
} g_log = {"apex", APEX_LOG_INFO, 0, PTHREAD_MUTEX_INITIALIZER};

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

void apex_log_init(const char *component, apex_log_level level, int json)
{
    pthread_mutex_lock(&g_log.mutex);
    snprintf(g_log.component, sizeof g_log.component, "%s", component ? component : "apex");
    g_log.level = level;
    g_log.json = json;
    pthread_mutex_unlock(&g_log.mutex);
}

int apex_log_level_parse(const char *s, apex_log_level *out)
{
    for (int i = 0; i <= APEX_LOG_OFF; i++) {
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (apex_log_level)i;
            return APEX_OK;
        }
    }
    return APEX_ERR_INVALID;
}

apex_log_level apex_log_get_level(void)
{
    return g_log.level;
}

void apex_log_write(apex_log_level level, const char *file, int line, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    int lv = level < 0 ? 0 : level > APEX_LOG_ERROR ? APEX_LOG_ERROR : level;

    pthread_mutex_lock(&g_log.mutex);
    if (g_log.json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s+i}", "ts", when, "level", level_names[lv],
                              "comp", g_log.component, "msg", msg, "src", base, ":", line);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "%s %-5s %s: %s\n", when, level_names[lv], g_log.component, msg);
    }
    fflush(stderr);
    pthread_mutex_unlock(&g_log.mutex);
}
