export type { CollectOptions, RevisionPlots } from './collect';
export { collectDefinitions, collectRevision, collectSources } from './collect';
export type { AxisDefinition, PlotProperties, ResolvedProperties } from './convert';
export {
  FIELD,
  FILENAME,
  flatDatapoints,
  INDEX,
  INFERRED_X,
  INFERRED_Y,
  inferDataSources,
  PlotDefinitionError,
  REVISION,
} from './convert';
export type { Datapoint } from './data';
export {
  DATA_EXTENSIONS,
  datapointsOf,
  IMAGE_EXTENSIONS,
  isImagePath,
  PlotDataError,
  parsePlotData,
} from './data';
export type { PlotFiles } from './files';
export { RepositoryFiles } from './files';
export type { ImagePoint, Plot, PlotError } from './match';
export { matchPlots, plotSpec } from './match';
export {
  encodeError,
  htmlId,
  imageDataUrl,
  imageFileName,
  inlineScripts,
  plotErrors,
  plotsJson,
  renderHtml,
} from './render';
export type { GatheredPlots, GatherPlotsOptions } from './show';
export { gatherPlots, WORKSPACE } from './show';
export type { PlotTemplate } from './templates';
export {
  anchor,
  builtinTemplate,
  DEFAULT_TEMPLATE,
  fillAnchor,
  findTemplate,
  hasAnchor,
  TEMPLATE_NAMES,
  TEMPLATES,
  TemplateNotFoundError,
} from './templates';
export type { VegaPlot } from './vega';
export { fillTemplate } from './vega';
