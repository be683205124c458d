import type { Session } from "../dashboard/sessions.ts";
import type { Logger } from "../observability/logger.ts";
import type { Principal } from "./auth/principal.ts";

/** Per-request values set by middleware, typed for every route. */
export interface AppEnv {
  Variables: {
    logger: Logger;
    requestId: string;
    /** Set by the authentication middleware on every protected route. */
    principal: Principal;
    /** Set when the request was authenticated by a dashboard session's cookie. */
    session: Session | undefined;
  };
}
