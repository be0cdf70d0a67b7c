import { loadConfig } from "./infra/config";
import { deployKiosk } from "./infra/kiosk";

const kiosk = deployKiosk(loadConfig());

export const url = kiosk.url;
export const kubeconfig = kiosk.kubeconfig;
export const bucket = kiosk.bucket;
export const clusterName = kiosk.clusterName;
export const grafanaAdminPassword = kiosk.grafanaAdminPassword;
export const portalDnsValidation = kiosk.portalDnsValidation;
