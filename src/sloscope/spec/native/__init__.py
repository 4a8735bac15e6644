"""The native spec format: ``apiVersion: sloscope/v1``, ``kind: Service``.

The loader (:mod:`~sloscope.spec.native.loader`) checks the document's shape with the
pydantic models of :mod:`~sloscope.spec.native.documents` (which also give the JSON
Schema for editors), reports shape errors through :mod:`~sloscope.spec.native.problems`,
and converts what passes with :mod:`~sloscope.spec.native.convert`.
"""
