//! Los textos en español (neutro latinoamericano, trato de usted): un brazo por mensaje (un
//! mensaje sin texto en español no compila). La CI se llama «cédula».

use super::message::Message as M;
use super::Language;
use crate::artemis::model::ArtemisCode;

pub(super) fn render(m: &M) -> String {
    let sub = |inner: &M| inner.render(Language::Es);
    match m {
        // The contract's literal: the frontend compares it, in every language.
        M::Success => "Success".into(),
        M::PersonAlreadyRegistered => "Persona ya registrada".into(),
        M::PhotoIncompatible => "Fotografía incompatible".into(),
        M::DryRunWouldRegister => "Se registraría".into(),
        M::HikCentralAnswered { code, msg } => {
            format!("HikCentral respondió con el código {code}: {msg}")
        }

        M::AlreadyInHikCentral => "la persona ya está registrada en HikCentral".into(),
        M::PersonCodeTaken => "HikCentral ya tiene una persona con este código (personCode)".into(),
        M::Registered => "persona registrada en HikCentral".into(),
        M::RegisteredAnd { done } => format!("persona registrada en HikCentral; {}", sub(done)),
        M::RegisteredBut { problem } => {
            format!("persona registrada en HikCentral, pero {}", sub(problem))
        }
        M::WouldRegister { name } => {
            format!("se registraría a {name} (simulación: no se envió nada)")
        }
        M::PhotoUpdated => "fotografía actualizada en HikCentral".into(),
        M::HikCentralRefused { code, msg } => {
            format!(
                "HikCentral rechazó la solicitud: {}",
                hikcentral_code(code, msg)
            )
        }
        M::HikCentralRefusedPhoto { msg } => format!("HikCentral rechazó la fotografía: {msg}"),
        M::FaceCheckRefusedPhoto { msg } => {
            format!("la verificación facial de HikCentral rechazó la fotografía: {msg}")
        }

        M::NoSiadPhoto => "el SIAD no tiene fotografía de esta persona".into(),
        M::PhotoEmpty => "la fotografía está vacía; envíe un archivo JPEG, PNG o BMP".into(),
        M::PhotoTooLarge { bytes, max } => {
            format!("la fotografía ocupa {bytes} bytes; se aceptan como máximo {max} bytes")
        }
        M::PhotoFormat { detected } => {
            format!("la fotografía está en formato {detected}; solo se aceptan JPEG, PNG y BMP")
        }
        M::PhotoUndecodable { detail } => format!(
            "la fotografía no se puede decodificar ({detail}); envíe un archivo JPEG, PNG o \
             BMP completo"
        ),
        M::PhotoTooSmall {
            width,
            height,
            min_width,
            min_height,
        } => format!(
            "la fotografía mide {width}×{height} px; se necesita al menos {min_width}×{min_height}"
        ),
        M::PhotoTooManyPixels { width, height, max } => format!(
            "la fotografía mide {width}×{height} px; se aceptan como máximo {max} px por lado"
        ),
        M::PhotoCannotFit { max } => format!(
            "la fotografía no se puede comprimir por debajo de {max} bytes sin quedar por \
             debajo del tamaño mínimo; envíe una fotografía más sencilla o más pequeña"
        ),

        M::NoAccessLevel { person_type } => format!(
            "no hay ningún nivel de acceso configurado para el tipo de persona {person_type:?} \
             (biometrico.access_levels): la persona no podrá abrir ninguna puerta"
        ),
        M::AccessLevelsApplied { levels } => {
            format!("añadida a los niveles de acceso {levels} y aplicada a los dispositivos")
        }
        M::AccessLevelAddFailed { level, error } => format!(
            "no se pudo añadir la persona al nivel de acceso {level}: {}",
            sub(error)
        ),
        M::AccessLevelsNotApplied { levels, error } => format!(
            "los niveles de acceso {levels} no se aplicaron a los dispositivos: {}",
            sub(error)
        ),
        M::DevicesApplied => {
            "en sus niveles de acceso, aplicada a los dispositivos sin fallos reportados".into()
        }
        M::DevicesPending { count } => format!(
            "HikCentral aún tiene {count} persona(s) por aplicar a los dispositivos; esta \
             persona puede estar entre ellas"
        ),
        M::DevicesRefused { items } => {
            let words: Vec<&str> = items.split(',').map(device_error).collect();
            format!(
                "los dispositivos rechazaron a la persona: {}",
                words.join("; ")
            )
        }
        M::ApplicationResultUnreadable { error } => format!(
            "no se pudo leer en HikCentral el resultado de aplicar los permisos a los \
             dispositivos: {}",
            sub(error)
        ),

        M::FaceUpdateUnsupported => "esta edición de HikCentral no permite reemplazar un rostro \
             mediante OpenAPI (person/face/update respondió 12, no admitido); reemplace la \
             fotografía en el cliente propio de HikCentral, o elimine a la persona y regístrela \
             de nuevo (así recibe un personId nuevo y pierde sus niveles de acceso)"
            .into(),
        M::FaceNotShown => "HikCentral aceptó la actualización del rostro, pero al volver a \
             consultarla no muestra ningún rostro para la persona"
            .into(),
        M::FaceReadBackFailed { error } => format!(
            "no se pudo volver a leer el rostro desde HikCentral: {}",
            sub(error)
        ),
        M::FaceDoesNotDownload => "HikCentral aceptó la actualización del rostro, pero su \
             imagen no se puede descargar"
            .into(),
        M::PreviousFaceKept => "HikCentral aceptó la actualización del rostro, pero conserva \
             el rostro anterior"
            .into(),

        M::PhotosCompared => "comparadas".into(),
        M::NoUsableSiadPhoto => "el SIAD no tiene una fotografía utilizable de esta persona".into(),
        M::NoHikCentralPhoto => "HikCentral no tiene fotografía de esta persona".into(),
        M::NoHikCentralPhotoForCi { ci } => {
            format!("HikCentral no tiene fotografía de la cédula {ci}")
        }

        M::BadCi { ci } => format!(
            "{ci:?} no es una cédula válida: debe tener de 1 a 32 letras o dígitos, sin guiones"
        ),
        M::UnknownCi { ci } => format!("el SIAD no tiene ninguna persona con la cédula {ci}"),
        M::PersonCodeUnfit { ci, rule } => format!(
            "la cédula {ci:?} no puede ser un personCode de HikCentral: debe tener de 1 a 16 \
             letras o dígitos (biometrico.person_code = \"{rule}\")"
        ),
        M::NotRegistered { ci } => {
            format!("la cédula {ci} no está registrada en HikCentral; regístrela primero")
        }
        M::SiadUnreachable { detail } => format!("no se puede conectar con el SIAD: {detail}"),
        M::SiadQueryFailed { detail } => format!("falló la consulta al SIAD: {detail}"),
        M::SiadUnexpectedRow { detail } => {
            format!("el SIAD devolvió una fila inesperada: {detail}")
        }
        M::SiadSettingsUnusable { detail } => {
            format!("la configuración del SIAD no se puede usar: {detail}")
        }
        M::SiadNotConfigured => "el SIAD no está configurado: defina siad.url, por ejemplo \
             sqlite://data/siad-demo.db o mssql://host:1433/SIAD"
            .into(),
        M::HikCentralNotConfigured => {
            "HikCentral no está configurado en este servicio (hikcentral.base_url)".into()
        }
        M::NoOrg { person_type } => format!(
            "no hay orgIndexCode para el tipo de persona {person_type:?} del SIAD: configure \
             biometrico.org_by_person_type"
        ),
        M::HikCentralError { code, msg } => hikcentral_code(code, msg),
        M::HikCentralHttp { status, message } => {
            format!("HikCentral respondió HTTP {status}: {message}")
        }
        M::HikCentralUnreachable { detail } => {
            format!("no se puede conectar con HikCentral: {detail}")
        }
        M::HikCentralGaveUp { attempts, last } => {
            format!("HikCentral no dio una respuesta utilizable tras {attempts} intento(s): {last}")
        }
        M::HikCentralUnreadable { detail } => {
            format!("no se pudo leer la respuesta de HikCentral: {detail}")
        }
        M::InternalError => "error interno; el identificador de la solicitud (cabecera \
             x-request-id) permite encontrarlo en el log del servicio"
            .into(),

        M::LedgerFailed => "no se pudo leer ni escribir el ledger (el registro de \
             sincronizaciones); la causa está en el log del servicio"
            .into(),

        M::ProgramRequired => "carrera_name es obligatorio".into(),
        M::PersonTypeRequired => "tipoFilter es obligatorio".into(),
        M::UpdateBodyInvalid { detail } => {
            format!("el cuerpo debe ser {{\"personaId\": \"…\"}}: {detail}")
        }
        M::OneJobSelector => {
            "indique exactamente uno de: program (con period opcional), personType o cis".into()
        }
        M::NoSuchJob { id } => format!("no existe el trabajo de sincronización {id}"),
        M::JobEnded { id } => format!("el trabajo de sincronización {id} ya terminó"),
    }
}

/// Un código de error de HikCentral explicado; el mensaje de HikCentral va tal como llegó.
fn hikcentral_code(code: &str, msg: &str) -> String {
    use ArtemisCode as C;
    let Some(known) = ArtemisCode::from_code(code, msg) else {
        return format!("HikCentral respondió con el código {code}: {msg}");
    };
    match &known {
        C::BadParameter(m) => format!("parámetro incorrecto en la solicitud (código 2): {m}"),
        C::Busy(m) => format!("HikCentral está ocupado (código 6): {m}"),
        C::NotSupported { code, msg } => format!(
            "esta edición o licencia de HikCentral no ofrece esta API (código {code}): {msg}"
        ),
        C::NoOpenApiPermission(m) => {
            format!("la AppKey no tiene permiso de acceso a OpenAPI (código 17): {m}")
        }
        C::NotFound(m) => format!("el recurso no existe (código 128): {m}"),
        C::NoResourcePermission(m) => format!("sin permiso sobre el recurso (código 130): {m}"),
        C::AlreadyExists(m) => format!("el recurso ya existe (código 131): {m}"),
        C::LimitReached(m) => {
            format!("se alcanzó el número máximo de recursos (código 132): {m}")
        }
        C::InvalidSignature(m) => format!(
            "firma no válida (código 0x02401003): {m}; revise la AppKey y el AppSecret, y \
             compare con `hikbridge artemis sign`"
        ),
        C::NoPermission(m) => format!("sin permiso (código 0x02401007): {m}"),
        C::Throttled { code, msg } => format!(
            "HikCentral está limitando las solicitudes (código {code}): {msg}; inténtelo de \
             nuevo en un momento"
        ),
        C::ServiceError { code, msg } => {
            format!("error de servicio de HikCentral (código {code}): {msg}")
        }
        C::Parameter { code, msg } => format!("parámetro incorrecto (código {code}): {msg}"),
        C::ResponseTooLong(m) => format!(
            "respuesta demasiado larga; reduzca el tamaño de página (código 0x00072004): {m}"
        ),
        C::LicenceExhausted { code, msg } => format!(
            "la licencia de HikCentral está agotada (código {code}): {msg}; libere licencias o \
             amplíe la licencia en HikCentral antes de registrar más personas"
        ),
        C::AppKeyRefused { code, msg } => format!(
            "HikCentral rechaza la AppKey (código {code}): {msg}; revise hikcentral.app_key y \
             el AppSecret del partner en la configuración de OpenAPI de HikCentral"
        ),
        C::Other(code, msg) => format!("HikCentral respondió con el código {code}: {msg}"),
    }
}

/// Uno de los códigos `errorItems` de HikCentral, en palabras.
fn device_error(item: &str) -> &'static str {
    match item.trim() {
        "0" => "falla del dispositivo (¿fuera de línea?)",
        "1" => "información de tarjeta incorrecta",
        "2" => "información de huella dactilar incorrecta",
        "3" => "información facial incorrecta: reemplace la fotografía",
        "4" => "información de la persona incorrecta",
        _ => "error desconocido",
    }
}
