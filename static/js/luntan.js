// luntan: small progressive enhancements. Every form works without this file.
(function () {
  'use strict'
  // Features add their enhancers below, each guarded by the presence of its markup.
})()
