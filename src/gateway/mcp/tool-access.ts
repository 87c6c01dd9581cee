import {
  GATEWAY_MCP_TOOLS,
  type GatewayMcpToolName,
  type RouteAccess,
  routeOf,
} from '../../protocol/index.ts';
import { allows, type Principal } from '../auth/principal.ts';
import { scopeRefusal } from '../http/request-auth.ts';

/** What a tool call lacks: the scope, and the refusal a REST call of its route would get. */
export interface ToolRefusal {
  scope: RouteAccess;
  message: string;
}

/**
 * A tool needs the scope of the REST route it stands for, read from the route table (so a token
 * may do over MCP exactly what it may over REST), or undefined when the principal holds it.
 */
export function toolRefusal(principal: Principal, name: GatewayMcpToolName): ToolRefusal | undefined {
  const { scope } = routeOf(GATEWAY_MCP_TOOLS[name].route);
  return allows(principal, scope) ? undefined : { scope, message: scopeRefusal(principal, scope) };
}
