// The dashboard's texts in Spanish (the default) and English.
//
// The page starts in the language the server put in <html lang> (the request's
// Accept-Language, else the service's ui.language); the language switch overrides it, and the
// choice is kept in this browser (localStorage). Texts may hold {name} placeholders; in texts
// shown with rich(), `code` and *emphasis* become <code> and <em> (built as DOM nodes, never
// as HTML). Every key exists in both languages: the browser test checks it.

export const LANGUAGES = ['es', 'en'];
const CHOICE_KEY = 'hikbridge.dashboard.language';

export const TEXTS = {
  es: {
    'page.title': 'hikbridge — panel de operación',
    'brand.subtitle': 'Puente HikCentral → Humand',
    'lang.label': 'Idioma',
    'status.connecting': 'conectando…',
    'status.signedOut': 'sesión cerrada',
    'status.updated': 'actualizado {time}',
    'logout': 'Cerrar sesión',
    'login.title': 'Iniciar sesión',
    'login.hint': 'Ingrese el token de un cliente de la API (`[[api.clients]]` o `api.tokens`). Solo se guarda en esta pestaña del navegador; el panel muestra únicamente lo que los permisos de ese cliente admiten.',
    'login.token': 'Token de API',
    'login.submit': 'Ingresar',
    'login.checking': 'Verificando…',
    'login.failed': 'No se puede iniciar sesión: {message}',
    'login.refused': 'El token fue rechazado: {message}',
    'login.signedOut': 'Sesión cerrada.',
    'session.client': 'Cliente: {client}',
    'session.user': 'usuario: {user}',
    'session.scopes': 'permisos: {scopes}',
    'session.noScopes': 'ninguno',
    'status.noViews': 'sin vistas',
    'scope.syncOnly': 'El token del cliente «{client}» solo tiene el permiso `sync`: es el del frontend de SIAD (las rutas `/biometrico`) y no tiene vistas en este panel. Para ver el panel, ingrese el token de un cliente con el permiso `read`.',
    'scope.noRead': 'El cliente «{client}» no tiene el permiso `read`, que requieren las vistas de este panel. Para verlas, ingrese el token de un cliente con ese permiso.',
    'scope.readOnly': 'Solo lectura: el cliente «{client}» no tiene el permiso `operate`, así que no se muestran las acciones (*Reintentar*, *Descartar*, *Admitir*, *Cancelar*).',
    'error.forbidden': 'sin permiso: {message}',

    'counts.title': 'Flujo',
    'count.events': 'Eventos guardados',
    'count.rejected': 'Eventos rechazados',
    'count.queued': 'Marcaciones en cola',
    'count.sending': 'Marcaciones enviándose',
    'count.delivered': 'Marcaciones entregadas',
    'count.parked': 'Retenidas (requieren revisión)',
    'count.parkedPunches': 'marcaciones',
    'count.parkedEvents': 'eventos',
    'count.dryRun': 'Marcaciones en simulación',
    'count.discarded': 'Marcaciones descartadas',
    'count.unmapped': 'Puertas sin regla',
    'count.outOfWindow': 'Fuera de la ventana de tiempo',
    'count.outOfWindowDetail': 'eventos por admitir',

    'health.title': 'Sistemas conectados y entrega',
    'health.version': 'Versión',
    'health.lastOk': 'Último éxito',
    'health.lastError': 'Último error',
    'health.failures': 'Fallos seguidos',
    'health.budget': 'Cupo de solicitudes',
    'health.budgetAria': 'Cupo de solicitudes de Humand usado',
    'health.delivery': 'Entrega',
    'health.worker': 'Proceso',
    'health.dryRun': 'Simulación',
    'health.paused': 'En pausa',
    'health.service': 'Servicio',
    'health.store': 'Base de datos',
    'health.workers': 'Procesos',
    'health.replica': 'Réplica',
    'health.never': 'nunca',
    'health.none': 'ninguno',
    'health.notConfigured': 'no configurado',
    'health.versionUnknown': 'aún no se conoce',
    'health.budgetUsed': '{used} de {limit} usadas',
    'health.budgetResets': ', la ventana se reinicia en {secs} s',
    'health.budgetWindow': ' en la ventana actual',
    'health.budgetNone': 'este servidor no lo informa',
    'health.running': 'en ejecución',
    'health.notRunning': 'detenido',
    'health.dryRunYes': 'sí: no se envía nada a Humand',
    'health.no': 'no',
    'health.pausedSince': 'desde {time}: {reason}',
    'health.workersRunning': '{count} en ejecución',
    'health.workersStopped': 'detenidos: {list}',
    'banner.paused': 'La entrega a Humand está en pausa{since}: Humand rechaza las credenciales ({reason}). No se pierde nada; las marcaciones esperan en la cola.',
    'banner.since': ' desde {time}',
    'banner.unreachable': 'No se puede conectar con el servicio ({message}); se muestran los últimos valores conocidos.',
    'banner.failed': 'Falló una solicitud: {message}',
    'error.timeout': 'sin respuesta en {secs} s',
    'error.unreachable': 'no se puede conectar con el servicio',

    'col.number': 'N.º',
    'col.employee': 'Empleado',
    'col.direction': 'Sentido',
    'col.time': 'Hora',
    'col.door': 'Puerta',
    'col.reason': 'Motivo',
    'col.humandAnswer': 'Respuesta de Humand',
    'col.attempts': 'Intentos',
    'col.actions': 'Acciones',
    'col.event': 'Evento',
    'col.person': 'Persona',
    'col.detail': 'Detalle',
    'col.doorCode': 'Código de puerta',
    'col.doorName': 'Nombre de la puerta',
    'col.events': 'Eventos',
    'col.rule': 'Regla que agregar',
    'col.received': 'Recibido',
    'col.source': 'Origen',
    'col.type': 'Tipo',
    'col.decision': 'Decisión',
    'col.why': 'Motivo / detalle',
    'col.punch': 'Marcación',
    'col.state': 'Estado',
    'col.delivery': 'Entrega',
    'col.job': 'Trabajo',
    'col.kind': 'Tipo',
    'col.progress': 'Progreso',
    'col.outcomes': 'Resultados',
    'col.created': 'Creado',

    'parked.title': 'Marcaciones retenidas',
    'parked.hint': 'Humand las rechazó. Corrija la causa en Humand y luego pulse *Reintentar* (se envían de nuevo tal como se decidieron) o *Descartar* (no se envían nunca).',
    'parked.empty': 'No hay marcaciones retenidas.',
    'parked.fullAnswer': 'respuesta completa',
    'parkedEvents.title': 'Eventos retenidos',
    'parkedEvents.hint': 'No se pudo decidir una marcación para estos eventos (p. ej., un empleado desconocido). Agregue una correspondencia (override) o corrija la regla y luego pulse *Reintentar* para decidir de nuevo.',
    'parkedEvents.empty': 'No hay eventos retenidos.',
    'outOfWindow.title': 'Eventos fuera de la ventana de tiempo',
    'outOfWindow.hint': 'Eventos bien formados cuya hora, al llegar, era demasiado antigua (`events.accept_past_hours`) o demasiado adelantada (`events.accept_future_secs`); p. ej., de un lector que estuvo desconectado durante semanas. No generan marcaciones hasta que usted los *Admita*; entonces se deciden como cualquier otro evento.',
    'outOfWindow.empty': 'No hay eventos fuera de la ventana de tiempo.',
    'outOfWindow.unavailable': 'No disponible: este servidor aún no ofrece GET /admin/out-of-window.',
    'outOfWindow.shown': 'Se muestran los {shown} más antiguos de {total}.',
    'unmapped.title': 'Puertas sin regla',
    'unmapped.hint': 'Las puertas que aparecen en eventos sin una regla no generan marcaciones. Agregue la regla en `attendance.doors` (modo `entry`, `exit`, `toggle` o `ignore`), reinicie el servicio y luego pida que esos eventos se decidan de nuevo (`POST /admin/events/redecide?reason=unmapped_door`).',
    'unmapped.empty': 'Todas las puertas vistas tienen regla.',
    'unmapped.orOther': ' (o exit | toggle | ignore)',
    'rejected.title': 'Eventos rechazados',
    'rejected.hint': 'Eventos cuyo contenido no se pudo usar (se guardan con el motivo y nunca generan marcaciones).',
    'rejected.empty': 'No hay eventos rechazados.',
    'rejected.unavailable': 'No disponible: este servidor aún no ofrece GET /admin/rejected.',
    'rejected.shown': 'Se muestran los {shown} más recientes de {total}.',
    'rejected.noId': '(sin id)',
    'rejected.raw': 'evento original',
    'timeline.title': 'El día de un empleado',
    'timeline.employee': 'ID de empleado',
    'timeline.day': 'Día',
    'timeline.show': 'Mostrar',
    'timeline.need': 'Indique un ID de empleado y un día (AAAA-MM-DD).',
    'timeline.loading': 'Cargando…',
    'timeline.found': '{count} evento(s) de {employee} el {day} (día local en {zone}).',
    'timeline.none': 'No hay eventos de {employee} el {day} (día local en {zone}).',
    'timeline.serviceZone': 'la zona horaria del servicio',
    'timeline.failed': 'No se pudo cargar el día: {message}',
    'timeline.entry': 'registro {id}',
    'timeline.noPunch': 'sin marcación',
    'jobs.title': 'Trabajos de sincronización masiva de personas',
    'jobs.empty': 'No hay trabajos masivos.',
    'jobs.unavailable': 'No disponible: este servidor aún no lista los trabajos (GET /biometrico/jobs).',
    'jobs.progressAria': 'Trabajo {id}: {done} de {total} hechos',
    'jobs.now': 'ahora: {who}',
    'jobs.dryRun': 'simulación',
    'jobs.csvAria': 'Descargar el informe CSV del trabajo {id}',
    'footer': 'Se actualiza cada 2 s. Las horas se muestran en la zona horaria de este navegador.',

    'action.retry': 'Reintentar',
    'action.discard': 'Descartar',
    'action.cancel': 'Cancelar',
    'action.admit': 'Admitir',
    'action.admitEvent': 'Admitir el evento {id}: decidirlo como cualquier otro',
    'action.retryPunch': 'Reintentar la marcación {id} del empleado {employee}',
    'action.discardPunch': 'Descartar la marcación {id} del empleado {employee}',
    'action.retryEvent': 'Decidir de nuevo el evento {id}',
    'action.cancelJob': 'Cancelar el trabajo {id}',
    'notice.punchQueued': 'La marcación {id} volvió a la cola; la entrega la envía ahora.',
    'notice.punchNotParked': 'La marcación {id} ya no está retenida.',
    'notice.punchRetryFailed': 'Falló el reintento de la marcación {id}: {message}',
    'notice.punchDiscardConfirm': '¿Descartar la marcación {id}? Nunca se enviará a Humand.',
    'notice.punchDiscarded': 'La marcación {id} fue descartada.',
    'notice.punchDiscardFailed': 'Falló el descarte de la marcación {id}: {message}',
    'notice.eventQueued': 'El evento {id} se decidirá de nuevo.',
    'notice.eventNotParked': 'El evento {id} ya no está retenido.',
    'notice.eventRetryFailed': 'Falló el reintento del evento {id}: {message}',
    'notice.eventAdmitConfirm': '¿Admitir el evento {id}? Se decidirá como cualquier otro evento y puede generar una marcación.',
    'notice.eventAdmitted': 'El evento {id} fue admitido; se decide ahora.',
    'notice.eventNotOutOfWindow': 'El evento {id} ya no está fuera de la ventana de tiempo.',
    'notice.eventAdmitFailed': 'No se pudo admitir el evento {id}: {message}',
    'notice.jobCancelConfirm': '¿Cancelar el trabajo masivo {id}? Las personas ya procesadas quedan como están.',
    'notice.jobCancelled': 'El trabajo {id} fue cancelado.',
    'notice.jobEnded': 'El trabajo {id} ya terminó.',
    'notice.jobCancelFailed': 'No se pudo cancelar: {message}',
    'notice.csvFailed': 'No se pudo descargar el informe del trabajo {id}: {message}',

    'state.ok': 'ok',
    'state.ready': 'listo',
    'state.running': 'en ejecución',
    'state.done': 'terminado',
    'state.delivered': 'entregada',
    'state.warning': 'advertencia',
    'state.degraded': 'degradado',
    'state.paused': 'en pausa',
    'state.queued': 'en cola',
    'state.sending': 'enviando',
    'state.dry_run': 'simulación',
    'state.error': 'error',
    'state.not_ready': 'no listo',
    'state.unreachable': 'inaccesible',
    'state.failed': 'fallido',
    'state.parked': 'retenida',
    'state.stopped': 'detenido',
    'state.unknown': 'desconocido',
    'state.not_configured': 'no configurado',
    'state.cancelled': 'cancelado',
    'state.discarded': 'descartada',
    'outcome.registered': 'registradas',
    'outcome.already_registered': 'ya registradas',
    'outcome.photo_rejected': 'fotografía rechazada',
    'outcome.would_register': 'se registrarían',
    'outcome.unknown_ci': 'cédula desconocida',
    'outcome.failed': 'fallidas',
    'kind.program': 'carrera',
    'kind.person_type': 'tipo de persona',
    'kind.list': 'lista de cédulas',
  },
  en: {
    'page.title': 'hikbridge — operator dashboard',
    'brand.subtitle': 'HikCentral → Humand bridge',
    'lang.label': 'Language',
    'status.connecting': 'connecting…',
    'status.signedOut': 'signed out',
    'status.updated': 'updated {time}',
    'logout': 'Log out',
    'login.title': 'Sign in',
    'login.hint': 'Enter the token of an API client (`[[api.clients]]` or `api.tokens`). It is kept only in this browser tab; the dashboard shows only what that client\'s scopes allow.',
    'login.token': 'API token',
    'login.submit': 'Sign in',
    'login.checking': 'Checking…',
    'login.failed': 'Cannot sign in: {message}',
    'login.refused': 'The token was refused: {message}',
    'login.signedOut': 'Signed out.',
    'session.client': 'Client: {client}',
    'session.user': 'user: {user}',
    'session.scopes': 'scopes: {scopes}',
    'session.noScopes': 'none',
    'status.noViews': 'no views',
    'scope.syncOnly': 'The token of client “{client}” has only the `sync` scope: it is the SIAD frontend\'s (the `/biometrico` routes) and has no views on this dashboard. To see the dashboard, enter the token of a client with the `read` scope.',
    'scope.noRead': 'Client “{client}” lacks the `read` scope that the dashboard\'s views need. To see them, enter the token of a client that has it.',
    'scope.readOnly': 'Read only: client “{client}” lacks the `operate` scope, so the actions (*Retry*, *Discard*, *Admit*, *Cancel*) are not shown.',
    'error.forbidden': 'not allowed: {message}',

    'counts.title': 'Pipeline',
    'count.events': 'Events stored',
    'count.rejected': 'Events rejected',
    'count.queued': 'Punches queued',
    'count.sending': 'Punches sending',
    'count.delivered': 'Punches delivered',
    'count.parked': 'Parked (needs a human)',
    'count.parkedPunches': 'punches',
    'count.parkedEvents': 'events',
    'count.dryRun': 'Punches dry run',
    'count.discarded': 'Punches discarded',
    'count.unmapped': 'Unmapped doors',
    'count.outOfWindow': 'Out of the time window',
    'count.outOfWindowDetail': 'events waiting to be admitted',

    'health.title': 'Upstreams and delivery',
    'health.version': 'Version',
    'health.lastOk': 'Last success',
    'health.lastError': 'Last error',
    'health.failures': 'Failures in a row',
    'health.budget': 'Rate budget',
    'health.budgetAria': 'Humand rate budget used',
    'health.delivery': 'Delivery',
    'health.worker': 'Worker',
    'health.dryRun': 'Dry run',
    'health.paused': 'Paused',
    'health.service': 'Service',
    'health.store': 'Store',
    'health.workers': 'Workers',
    'health.replica': 'Replica',
    'health.never': 'never',
    'health.none': 'none',
    'health.notConfigured': 'not configured',
    'health.versionUnknown': 'not known yet',
    'health.budgetUsed': '{used} of {limit} used',
    'health.budgetResets': ', window resets in {secs} s',
    'health.budgetWindow': ' in the current window',
    'health.budgetNone': 'not reported by this server',
    'health.running': 'running',
    'health.notRunning': 'not running',
    'health.dryRunYes': 'yes: nothing is sent to Humand',
    'health.no': 'no',
    'health.pausedSince': 'since {time}: {reason}',
    'health.workersRunning': '{count} running',
    'health.workersStopped': 'stopped: {list}',
    'banner.paused': 'Delivery to Humand is paused{since}: Humand refuses the credentials ({reason}). Nothing is dropped; punches wait in the queue.',
    'banner.since': ' since {time}',
    'banner.unreachable': 'Cannot reach the service ({message}); showing the last known values.',
    'banner.failed': 'A request failed: {message}',
    'error.timeout': 'no answer within {secs} s',
    'error.unreachable': 'the service cannot be reached',

    'col.number': '#',
    'col.employee': 'Employee',
    'col.direction': 'Direction',
    'col.time': 'Time',
    'col.door': 'Door',
    'col.reason': 'Reason',
    'col.humandAnswer': 'Humand\'s answer',
    'col.attempts': 'Attempts',
    'col.actions': 'Actions',
    'col.event': 'Event',
    'col.person': 'Person',
    'col.detail': 'Detail',
    'col.doorCode': 'Door index code',
    'col.doorName': 'Door name',
    'col.events': 'Events',
    'col.rule': 'Rule to add',
    'col.received': 'Received',
    'col.source': 'Source',
    'col.type': 'Type',
    'col.decision': 'Decision',
    'col.why': 'Reason / detail',
    'col.punch': 'Punch',
    'col.state': 'State',
    'col.delivery': 'Delivery',
    'col.job': 'Job',
    'col.kind': 'Kind',
    'col.progress': 'Progress',
    'col.outcomes': 'Outcomes',
    'col.created': 'Created',

    'parked.title': 'Parked punches',
    'parked.hint': 'Humand refused these. Fix the cause in Humand, then *Retry* (sent again as decided), or *Discard* (never sent).',
    'parked.empty': 'No parked punches.',
    'parked.fullAnswer': 'full answer',
    'parkedEvents.title': 'Parked events',
    'parkedEvents.hint': 'No punch could be decided for these (e.g. an unknown employee). Add an override or fix the rule, then *Retry* to decide again.',
    'parkedEvents.empty': 'No parked events.',
    'outOfWindow.title': 'Events outside the time window',
    'outOfWindow.hint': 'Well-formed events whose time was too old (`events.accept_past_hours`) or too far ahead (`events.accept_future_secs`) when they arrived, e.g. from a reader that was offline for weeks. They clock nobody until you *Admit* them; then they are decided like any other event.',
    'outOfWindow.empty': 'No events outside the time window.',
    'outOfWindow.unavailable': 'Not available: this server does not offer GET /admin/out-of-window yet.',
    'outOfWindow.shown': 'Showing the oldest {shown} of {total}.',
    'unmapped.title': 'Unmapped doors',
    'unmapped.hint': 'Doors seen in events without a rule clock nobody. Add the rule to `attendance.doors` (mode `entry`, `exit`, `toggle` or `ignore`), restart, then ask for those events to be decided again (`POST /admin/events/redecide?reason=unmapped_door`).',
    'unmapped.empty': 'Every door seen has a rule.',
    'unmapped.orOther': ' (or exit | toggle | ignore)',
    'rejected.title': 'Rejected events',
    'rejected.hint': 'Events whose content could not be used (kept with the reason, never clocked).',
    'rejected.empty': 'No rejected events.',
    'rejected.unavailable': 'Not available: this server does not offer GET /admin/rejected yet.',
    'rejected.shown': 'Showing the newest {shown} of {total}.',
    'rejected.noId': '(no id)',
    'rejected.raw': 'raw event',
    'timeline.title': 'One employee\'s day',
    'timeline.employee': 'Employee id',
    'timeline.day': 'Day',
    'timeline.show': 'Show',
    'timeline.need': 'Give an employee id and a day (YYYY-MM-DD).',
    'timeline.loading': 'Loading…',
    'timeline.found': '{count} event(s) for {employee} on {day} (local day in {zone}).',
    'timeline.none': 'No events for {employee} on {day} (local day in {zone}).',
    'timeline.serviceZone': 'the service time zone',
    'timeline.failed': 'Could not load the day: {message}',
    'timeline.entry': 'entry {id}',
    'timeline.noPunch': 'no punch',
    'jobs.title': 'Bulk person-sync jobs',
    'jobs.empty': 'No bulk jobs.',
    'jobs.unavailable': 'Not available: this server does not list jobs (GET /biometrico/jobs) yet.',
    'jobs.progressAria': 'Job {id}: {done} of {total} done',
    'jobs.now': 'now: {who}',
    'jobs.dryRun': 'dry run',
    'jobs.csvAria': 'Download the CSV report of job {id}',
    'footer': 'Refreshes every 2 s. Times are shown in this browser\'s time zone.',

    'action.retry': 'Retry',
    'action.discard': 'Discard',
    'action.cancel': 'Cancel',
    'action.admit': 'Admit',
    'action.admitEvent': 'Admit event {id}: decide it like any other',
    'action.retryPunch': 'Retry punch {id} of employee {employee}',
    'action.discardPunch': 'Discard punch {id} of employee {employee}',
    'action.retryEvent': 'Decide event {id} again',
    'action.cancelJob': 'Cancel job {id}',
    'notice.punchQueued': 'Punch {id} is queued again; delivery sends it now.',
    'notice.punchNotParked': 'Punch {id} is not parked any more.',
    'notice.punchRetryFailed': 'Retry of punch {id} failed: {message}',
    'notice.punchDiscardConfirm': 'Discard punch {id}? It will never be sent to Humand.',
    'notice.punchDiscarded': 'Punch {id} was discarded.',
    'notice.punchDiscardFailed': 'Discard of punch {id} failed: {message}',
    'notice.eventQueued': 'Event {id} will be decided again.',
    'notice.eventNotParked': 'Event {id} is not parked any more.',
    'notice.eventRetryFailed': 'Retry of event {id} failed: {message}',
    'notice.eventAdmitConfirm': 'Admit event {id}? It will be decided like any other event and may clock someone.',
    'notice.eventAdmitted': 'Event {id} was admitted; it will be decided now.',
    'notice.eventNotOutOfWindow': 'Event {id} is not outside the time window any more.',
    'notice.eventAdmitFailed': 'Admitting event {id} failed: {message}',
    'notice.jobCancelConfirm': 'Cancel bulk job {id}? People already done stay done.',
    'notice.jobCancelled': 'Job {id} was cancelled.',
    'notice.jobEnded': 'Job {id} has already ended.',
    'notice.jobCancelFailed': 'Cancel failed: {message}',
    'notice.csvFailed': 'The report of job {id} could not be downloaded: {message}',

    'state.ok': 'ok',
    'state.ready': 'ready',
    'state.running': 'running',
    'state.done': 'done',
    'state.delivered': 'delivered',
    'state.warning': 'warning',
    'state.degraded': 'degraded',
    'state.paused': 'paused',
    'state.queued': 'queued',
    'state.sending': 'sending',
    'state.dry_run': 'dry run',
    'state.error': 'error',
    'state.not_ready': 'not ready',
    'state.unreachable': 'unreachable',
    'state.failed': 'failed',
    'state.parked': 'parked',
    'state.stopped': 'stopped',
    'state.unknown': 'unknown',
    'state.not_configured': 'not configured',
    'state.cancelled': 'cancelled',
    'state.discarded': 'discarded',
    'outcome.registered': 'registered',
    'outcome.already_registered': 'already registered',
    'outcome.photo_rejected': 'photo rejected',
    'outcome.would_register': 'would register',
    'outcome.unknown_ci': 'unknown CI',
    'outcome.failed': 'failed',
    'kind.program': 'program',
    'kind.person_type': 'person type',
    'kind.list': 'CI list',
  },
};

let current = 'es';

/** The language the page speaks now. */
export function language() {
  return current;
}

/** The locale for dates and numbers in the current language. */
export function locale() {
  return current === 'es' ? 'es-419' : 'en';
}

/** The language to start in: the one chosen in this browser, else the server's <html lang>. */
export function initialLanguage() {
  let chosen = null;
  try { chosen = localStorage.getItem(CHOICE_KEY); } catch { /* storage disabled */ }
  if (LANGUAGES.includes(chosen)) return chosen;
  const served = (document.documentElement.lang || '').toLowerCase().split('-')[0];
  return LANGUAGES.includes(served) ? served : 'es';
}

/** Speak `lang` from now on; `remember` keeps the choice in this browser. */
export function setLanguage(lang, remember = false) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  if (remember) {
    try { localStorage.setItem(CHOICE_KEY, lang); } catch { /* storage disabled */ }
  }
}

/** The text of `key` with its {placeholders} filled; an unknown key shows as itself. */
export function t(key, params = {}) {
  const text = TEXTS[current][key] ?? TEXTS.es[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A code word (a state, an outcome) in words, or the word itself when it has none. */
export function word(group, code) {
  const key = `${group}.${code}`;
  return key in TEXTS[current] ? TEXTS[current][key] : String(code).replace(/_/g, ' ');
}

/** Put `text` into `node`: `code` and *emphasis* become <code> and <em>, the rest text. */
export function rich(node, text) {
  const parts = text.split(/(`[^`]*`|\*[^*]*\*)/);
  node.replaceChildren(...parts.filter((p) => p !== '').map((p) => {
    if (p.length > 1 && p.startsWith('`') && p.endsWith('`')) {
      const code = document.createElement('code');
      code.textContent = p.slice(1, -1);
      return code;
    }
    if (p.length > 1 && p.startsWith('*') && p.endsWith('*')) {
      const em = document.createElement('em');
      em.textContent = p.slice(1, -1);
      return em;
    }
    return document.createTextNode(p);
  }));
}

/**
 * Write the page's fixed texts in the current language: `data-i18n` (text), `data-i18n-rich`
 * (text with code and emphasis), `data-i18n-aria` (aria-label), and the title.
 */
export function applyStatic(root = document) {
  document.documentElement.lang = current;
  document.title = t('page.title');
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-rich]')) rich(node, t(node.dataset.i18nRich));
  for (const node of root.querySelectorAll('[data-i18n-aria]')) node.setAttribute('aria-label', t(node.dataset.i18nAria));
}

/** Keys missing or empty in a language (the browser test asks; empty when complete). */
export function missingTexts() {
  const keys = new Set(LANGUAGES.flatMap((l) => Object.keys(TEXTS[l])));
  const missing = [];
  for (const l of LANGUAGES) {
    for (const k of keys) {
      if (typeof TEXTS[l][k] !== 'string' || TEXTS[l][k].trim() === '') missing.push(`${l}:${k}`);
    }
  }
  return missing;
}
