import { rulesToAST } from '@casl/ability/extra';
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Action, AppAbility, SubjectName } from './subjects.ts';

/** The shape @ucast gives: compound nodes (and/or/not) over field nodes. */
interface AstNode {
  type?: string;
  operator: string;
  field?: string;
  value: unknown;
}

const comparison: Record<string, '=' | '<>' | '<' | '<=' | '>' | '>=' | 'in' | 'not in'> = {
  eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=', in: 'in', nin: 'not in',
};

/**
 * Turns the ability's rules for (action, subject) into a Kysely `where` expression, so a list
 * query returns exactly the rows the ability allows — the same rules that guard single objects.
 * Returns a `false` expression when nothing is allowed. Field names are camelCase columns of
 * `table` (CamelCasePlugin maps them to snake_case).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<any, any>;

export function accessibleWhere(ability: AppAbility, action: Action, subject: SubjectName, table: string): (eb: AnyEb) => Expression<SqlBool> {
  const ast = rulesToAST(ability, action, subject) as AstNode | null;
  return (eb) => (ast === null ? sql<SqlBool>`false` : toExpression(eb, ast, table));
}

function toExpression(anyEb: AnyEb, node: AstNode, table: string): Expression<SqlBool> {

  switch (node.operator) {
    case 'and':
    case 'or': {
      const children = (node.value as AstNode[]).map((child) => toExpression(anyEb, child, table));
      if (children.length === 0) return sql<SqlBool>`${sql.lit(node.operator === 'and')}`;
      return node.operator === 'and' ? anyEb.and(children) : anyEb.or(children);
    }
    case 'not':
      return anyEb.not(toExpression(anyEb, node.value as AstNode, table));
    default: {
      const op = comparison[node.operator];
      if (!op || !node.field || node.field.includes('.')) {
        // An operator we do not translate must never widen access: fail loudly.
        throw new Error(`Cannot translate the permission condition ${node.operator} on ${node.field ?? '?'} to SQL.`);
      }
      if ((op === 'in' || op === 'not in') && Array.isArray(node.value) && node.value.length === 0) {
        return sql<SqlBool>`${sql.lit(op === 'not in')}`;
      }
      if (node.value === null) {
        return op === '=' ? anyEb(anyEb.ref(`${table}.${node.field}`), 'is', null) : anyEb(anyEb.ref(`${table}.${node.field}`), 'is not', null);
      }
      return anyEb(anyEb.ref(`${table}.${node.field}`), op, node.value as never);
    }
  }
}
