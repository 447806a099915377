import type { RoutePlugin } from '../deps.js';
import { accountRoutes } from './accounts.js';
import { applicationRoutes } from './applications.js';
import { dashboardApiRoutes } from './dashboard-api.js';
import { deliveryRoutes } from './deliveries.js';
import { documentRoutes } from './documents.js';
import { eventRoutes } from './events.js';
import { exportRoutes } from './exports.js';
import { healthRoutes } from './health.js';
import { kladanaReportRoutes } from './kladana-reports.js';
import { kladanaWebhookStockRoutes } from './kladana-webhookstock.js';
import { metricsRoutes } from './metrics.js';
import { metakockaStockRoutes } from './metakocka-stock.js';
import { movementRoutes } from './movements.js';
import { outboundOrderRoutes } from './outbound-orders.js';
import { productRoutes } from './products.js';
import { readinessRoutes } from './readiness.js';
import { replayRoutes } from './replays.js';
import { stockItemRoutes } from './stock-items.js';
import { sourceRoutes } from './sources.js';
import { stockRoutes } from './stock.js';
import { supplierRoutes } from './supplier.js';
import { tokenRoutes } from './tokens.js';
import { uiRoutes } from './ui.js';
import { warehouseRoutes } from './warehouses.js';
import { webhookRoutes } from './webhooks.js';

/** Every route plugin, registered in this order by buildApp. */
export const ROUTES: RoutePlugin[] = [
  healthRoutes,
  readinessRoutes,
  accountRoutes,
  tokenRoutes,
  applicationRoutes,
  warehouseRoutes,
  productRoutes,
  documentRoutes,
  stockRoutes,
  movementRoutes,
  exportRoutes,
  supplierRoutes,
  metakockaStockRoutes,
  kladanaReportRoutes,
  kladanaWebhookStockRoutes,
  outboundOrderRoutes,
  stockItemRoutes,
  eventRoutes,
  webhookRoutes,
  sourceRoutes,
  deliveryRoutes,
  dashboardApiRoutes,
  replayRoutes,
  metricsRoutes,
  uiRoutes,
];
