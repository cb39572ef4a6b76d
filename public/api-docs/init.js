/* The API reference at /api/docs: Swagger UI (swagger-ui-bundle.js, vendored beside this file) on
   /api/openapi.json. A file, not an inline script, so the page's Content-Security-Policy can refuse
   every inline script (api/openapi.py sets it). */
"use strict";

(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis], // no standalone preset: no top bar with a URL box
    layout: "BaseLayout",
    deepLinking: true, // #/tag/operationId links to one operation, expanded
    displayRequestDuration: true,
    persistAuthorization: false, // the bearer token is never written to localStorage
    tryItOutEnabled: false, // each operation asks first: "Try it out" sends real requests
    queryConfigEnabled: false, // ?url=... cannot point the page at another document
    validatorUrl: null, // no badge fetched from validator.swagger.io
    withCredentials: false,
    filter: true, // a box that filters operations by tag
    docExpansion: "list",
    defaultModelsExpandDepth: 1,
    defaultModelExpandDepth: 1,
    showCommonExtensions: true,
  });
})();
